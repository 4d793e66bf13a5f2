package io.kiln.codegen;

import io.kiln.codegen.cpu.CpuCodegen;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.models.Builtins;
import io.kiln.testing.Golden;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The generated C of the built-in example models: kept as golden files (so a change to code
 * generation shows its diff on real networks), and built with gcc and run by {@code kiln_host}
 * on seeded random inputs, byte for byte equal to the reference interpreter.
 */
class BuiltinModelsCodegenTest {
  /** Above this, kiln_weights.c is goldened as one fingerprint line per array. */
  static final int FULL_TEXT_LIMIT = 200_000;
  private static final int SAMPLES = 4;

  @TempDir
  Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"ds_cnn", "resnet"})
  void generatedSourcesMatchGoldens(String name) {
    Map<String, String> files = CpuCodegen.emit(Builtins.named(name).build(),
        CodegenOptions.defaults()).files();
    String dir = "codegen/builtin_" + name + "/";
    for (String f : List.of("kiln_model.h", "kiln_model.c", "kiln_weights.h")) {
      Golden.assertMatches(dir + f, files.get(f));
    }
    String weights = files.get("kiln_weights.c");
    if (weights.length() > FULL_TEXT_LIMIT) {
      Golden.assertMatches(dir + "kiln_weights.c.fingerprint", fingerprint(weights));
    } else {
      Golden.assertMatches(dir + "kiln_weights.c", weights);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ds_cnn", "resnet"})
  void hostBuildMatchesInterpreter(String name) throws IOException {
    NativeBuild.assumeGcc();
    Graph g = Builtins.named(name).build();
    Path host = NativeBuild.build(g, tmp.resolve(name), NativeBuild.STRICT);
    SplittableRandom rnd = new SplittableRandom(name.hashCode());
    List<Value> ins = g.inputValues();
    List<ByteArrayOutputStream> batched = new ArrayList<>();
    List<ByteArrayOutputStream> expected = new ArrayList<>();
    ins.forEach(v -> batched.add(new ByteArrayOutputStream()));
    g.outputs().forEach(v -> expected.add(new ByteArrayOutputStream()));
    Interpreter interp = new Interpreter(g);
    for (int s = 0; s < SAMPLES; s++) {
      List<Tensor> sample = new ArrayList<>();
      for (int i = 0; i < ins.size(); i++) {
        Value v = ins.get(i);
        int[] x = new int[v.shape().elements()];
        for (int e = 0; e < x.length; e++) {
          x[e] = (int) rnd.nextLong(v.dtype().min(), v.dtype().max() + 1);
        }
        Tensor t = Tensor.ofInts(v.dtype(), v.shape(), x);
        sample.add(t);
        batched.get(i).writeBytes(t.toBytes());
      }
      List<Tensor> outs = interp.run(sample);
      for (int j = 0; j < outs.size(); j++) {
        expected.get(j).writeBytes(outs.get(j).toBytes());
      }
    }
    List<byte[]> got = NativeBuild.run(host,
        batched.stream().map(ByteArrayOutputStream::toByteArray).toList(), SAMPLES,
        g.outputs().size());
    for (int j = 0; j < got.size(); j++) {
      assertThat(got.get(j)).as("builtin:%s output %d over %d samples", name, j, SAMPLES)
          .isEqualTo(expected.get(j).toByteArray());
    }
  }

  private static final Pattern ARRAY = Pattern.compile(
      "(?:/\\* ([^\\n]*?) \\*/\\n)?const (\\w+) (\\w+)\\[(\\d+)\\] = \\{(.*?)\\};", Pattern.DOTALL);

  /**
   * A short stand-in for a large weights file: its size and hash, then per array its comment,
   * type, name, length and the hash of its initializer, so a diff still says which array changed.
   */
  static String fingerprint(String source) {
    StringBuilder sb = new StringBuilder();
    sb.append("kiln_weights.c: ").append(source.length()).append(" chars, sha256 ")
        .append(sha256(source)).append('\n');
    Matcher m = ARRAY.matcher(source);
    int arrays = 0;
    while (m.find()) {
      String body = m.group(5);
      long values = Arrays.stream(body.split(",")).filter(v -> !v.isBlank()).count();
      sb.append(m.group(2)).append(' ').append(m.group(3)).append('[').append(m.group(4))
          .append("] values=").append(values).append(" sha256=").append(sha256(body))
          .append("  /* ").append(m.group(1) == null ? "" : m.group(1)).append(" */\n");
      arrays++;
    }
    assertThat(arrays).as("arrays found in kiln_weights.c").isPositive();
    return sb.toString();
  }

  private static String sha256(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
