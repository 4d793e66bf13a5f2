package io.kiln.frontend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.passes.Pipeline;
import io.kiln.testing.Golden;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs every ONNX backend node test in {@code shared/models/onnx-node}: where Kiln supports the
 * operators, the interpreter must reproduce {@code test_data_set_0/output_*.pb} (integers exactly,
 * floats within 1e-4 relative plus 1e-5 absolute); otherwise the folder is recorded as unsupported
 * with Kiln's one-line reason. The results table {@code docs/onnx-node-tests.md} is regenerated
 * with {@code -Dgolden.update=true} and otherwise must equal what this run produces.
 */
class OnnxNodeTestsTest {
  private static final Path TABLE = Path.of("docs", "onnx-node-tests.md");
  private static final double RTOL = 1e-4;
  private static final double ATOL = 1e-5;

  /** What happened to one folder. */
  sealed interface Outcome {
    record Passed() implements Outcome {}

    record Unsupported(String reason) implements Outcome {}

    record Failed(String detail) implements Outcome {}
  }

  @Test
  void everyFolderPassesOrIsUnsupportedWithAReason() throws IOException {
    Path root = SharedModels.root().resolve("onnx-node");
    List<Path> folders;
    try (Stream<Path> s = Files.list(root)) {
      folders = s.filter(Files::isDirectory).sorted().toList();
    }
    Map<String, Outcome> results = new LinkedHashMap<>();
    for (Path folder : folders) {
      results.put(folder.getFileName().toString(), run(folder));
    }
    String table = table(results);
    if (Golden.updating() || !Files.exists(TABLE)) {
      Files.createDirectories(TABLE.getParent());
      Files.writeString(TABLE, table, StandardCharsets.UTF_8);
    }
    List<String> failed = new ArrayList<>();
    results.forEach((k, v) -> {
      if (v instanceof Outcome.Failed f) {
        failed.add(k + ": " + f.detail());
      }
    });
    long passed = results.values().stream().filter(o -> o instanceof Outcome.Passed).count();
    System.out.println("ONNX node tests: " + passed + " of " + results.size() + " passed, "
        + failed.size() + " wrong");
    assertThat(failed).as("folders whose outputs Kiln computes wrongly").isEmpty();
    assertThat(passed).as("passing folders").isGreaterThan(150);
    assertThat(Files.readString(TABLE, StandardCharsets.UTF_8))
        .as("%s is stale: rerun with -Dgolden.update=true", TABLE).isEqualTo(table);
  }

  static Outcome run(Path folder) throws IOException {
    String name = folder.getFileName().toString();
    byte[] bytes = Files.readAllBytes(folder.resolve("model.onnx"));
    Path data = folder.resolve("test_data_set_0");
    List<TensorProto> inputs = numbered(data, "input_");
    List<TensorProto> expected = numbered(data, "output_");
    Graph g;
    List<Tensor> actual;
    List<Tensor> runtime = new ArrayList<>();
    try {
      GraphProto gp = ModelProto.parseFrom(bytes).getGraph();
      Set<String> initializers = new HashSet<>();
      gp.getInitializerList().forEach(t -> initializers.add(t.getName()));
      List<String> inputNames = new ArrayList<>();
      for (ValueInfoProto v : gp.getInputList()) {
        if (!initializers.contains(v.getName())) {
          inputNames.add(v.getName());
        }
      }
      Set<String> fixed = OnnxImporter.staticInputNames(bytes, name);
      Map<String, TensorProto> bound = new LinkedHashMap<>();
      for (int i = 0; i < inputNames.size(); i++) {
        if (fixed.contains(inputNames.get(i))) {
          bound.put(inputNames.get(i), inputs.get(i));
        } else {
          runtime.add(OnnxTensors.decode(inputs.get(i)).toTensor());
        }
      }
      g = OnnxImporter.load(bytes, name, bound);
      actual = new Interpreter(g).run(runtime);
    } catch (KilnException e) {
      return new Outcome.Unsupported(e.getMessage());
    }
    if (actual.size() != expected.size()) {
      return new Outcome.Failed(actual.size() + " outputs, expected " + expected.size());
    }
    for (int i = 0; i < expected.size(); i++) {
      Tensor want = OnnxTensors.decode(expected.get(i)).toTensor();
      String diff = compare(actual.get(i), want);
      if (diff != null) {
        return new Outcome.Failed("output " + i + ": " + diff);
      }
    }
    // The default optimization pipeline (verifier after every stage) must keep the outputs:
    // integers exactly, floats within the same tolerance (folding may reorder float math).
    List<Tensor> optimized;
    try {
      Graph opt = Pipeline.DEFAULT.verifying().apply(g);
      optimized = new Interpreter(opt).run(runtime);
    } catch (KilnException e) {
      return new Outcome.Failed("after the default passes: " + e.getMessage());
    }
    for (int i = 0; i < expected.size(); i++) {
      String diff = compare(optimized.get(i), OnnxTensors.decode(expected.get(i)).toTensor());
      if (diff != null) {
        return new Outcome.Failed("after the default passes, output " + i + ": " + diff);
      }
    }
    return new Outcome.Passed();
  }

  /** Null when equal within tolerance, else the first difference. */
  static String compare(Tensor got, Tensor want) {
    if (got.dtype != want.dtype || !got.shape.equals(want.shape)) {
      return "got " + got.dtype.shortName() + got.shape + ", expected " + want.dtype.shortName()
          + want.shape;
    }
    for (int i = 0; i < want.elements(); i++) {
      if (want.dtype == DType.FLOAT32) {
        float a = got.floats[i];
        float e = want.floats[i];
        boolean same = Float.isNaN(e) ? Float.isNaN(a)
            : Float.isInfinite(e) ? a == e : Math.abs(a - e) <= ATOL + RTOL * Math.abs(e);
        if (!same) {
          return "[" + i + "] got " + a + ", expected " + e;
        }
      } else if (want.dtype == DType.INT64) {
        if (got.longs[i] != want.longs[i]) {
          return "[" + i + "] got " + got.longs[i] + ", expected " + want.longs[i];
        }
      } else if (got.ints[i] != want.ints[i]) {
        return "[" + i + "] got " + got.ints[i] + ", expected " + want.ints[i];
      }
    }
    return null;
  }

  private static List<TensorProto> numbered(Path dir, String prefix) throws IOException {
    List<TensorProto> out = new ArrayList<>();
    for (int i = 0; Files.exists(dir.resolve(prefix + i + ".pb")); i++) {
      out.add(TensorProto.parseFrom(Files.readAllBytes(dir.resolve(prefix + i + ".pb"))));
    }
    return out;
  }

  static String table(Map<String, Outcome> results) {
    long passed = results.values().stream().filter(o -> o instanceof Outcome.Passed).count();
    StringBuilder sb = new StringBuilder();
    sb.append("# ONNX backend node tests in Kiln\n\n");
    sb.append("Generated by `OnnxNodeTestsTest` (run `./mvnw -B test -Dtest=OnnxNodeTestsTest")
        .append(" -Dgolden.update=true` to regenerate; the test fails when this file is stale).")
        .append(" Each folder of `shared/models/onnx-node` is imported with")
        .append(" `io.kiln.frontend.onnx.OnnxImporter` and run on Kiln's reference interpreter;")
        .append(" *passed* means `test_data_set_0/output_*.pb` is reproduced (integers exactly,")
        .append(" floats within 1e-4 relative plus 1e-5 absolute). Inputs that Kiln needs static")
        .append(" (shapes, axes, pads, bounds, quantization parameters) are bound to their test")
        .append(" data as constants. *unsupported* gives Kiln's one-line error.\n\n");
    sb.append("Passed: ").append(passed).append(" of ").append(results.size())
        .append(" folders.\n\n");
    sb.append("| folder | result | reason |\n|---|---|---|\n");
    results.forEach((k, v) -> {
      String result = switch (v) {
        case Outcome.Passed p -> "passed | ";
        case Outcome.Unsupported u -> "unsupported | " + escape(u.reason());
        case Outcome.Failed f -> "WRONG | " + escape(f.detail());
      };
      sb.append("| `").append(k).append("` | ").append(result).append(" |\n");
    });
    return sb.toString();
  }

  private static String escape(String s) {
    String oneLine = s.replace('\n', ' ').replace("|", "\\|");
    return oneLine.length() > 300 ? oneLine.substring(0, 297) + "..." : oneLine;
  }
}
