package io.kiln.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.KilnException;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every SEANet single-operator model of TFLite Micro's integration tests (16x8 quantization) run
 * on its CSV inputs must reproduce TFLM's golden output exactly. Operators the interpreter does
 * not implement yet are skipped, not failed, so the class stays green while kernels land.
 */
class SeanetGoldenTest {
  /**
   * MANIFEST: current TFLM's int16 SUB no longer reproduces these committed goldens exactly; they
   * differ by ±1 in 4 elements in total. Only these cases may differ, and only that much.
   */
  private static final Set<String> STALE_GOLDENS = Set.of("sub/sub0", "sub/sub1", "sub/sub3");
  private static final int STALE_MAX_MISMATCHES = 4;
  private static final String ABSENT = "(shared models absent)";

  static Stream<String> cases() throws IOException {
    if (!SharedModels.available()) {
      return Stream.of(ABSENT);
    }
    Path seanet = SharedModels.root().resolve("tflm/seanet");
    List<String> out = new ArrayList<>();
    try (Stream<Path> folders = Files.list(seanet)) {
      for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
        try (Stream<Path> files = Files.list(folder)) {
          files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".tflite"))
              .map(f -> folder.getFileName() + "/" + f.substring(0, f.length() - 7))
              .sorted().forEach(out::add);
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void reproducesTflmGolden(String name) throws IOException {
    Path seanet = SharedModels.root().resolve("tflm/seanet");
    assumeTrue(!name.equals(ABSENT));
    Path model = seanet.resolve(name + ".tflite");
    Path dir = model.getParent();
    String base = model.getFileName().toString().replace(".tflite", "");

    Graph g = TfliteImporter.load(model);
    Interpreter interp;
    try {
      interp = new Interpreter(g);
    } catch (KilnException e) {
      String msg = String.valueOf(e.getMessage());
      assumeTrue(!(msg.contains("does not support") && msg.contains("yet")),
          "kernel not implemented yet: " + msg);
      throw e;
    }
    List<Tensor> inputs = new ArrayList<>();
    List<Value> ins = g.inputValues();
    for (int k = 0; k < ins.size(); k++) {
      Value v = ins.get(k);
      Path csv = dir.resolve(base + "_input" + k + "_" + csvType(v.dtype()) + ".csv");
      int[] values = readCsv(csv);
      assertThat(values).as("%s input %d", name, k).hasSize(v.shape().elements());
      inputs.add(Tensor.ofInts(v.dtype(), v.shape(), values));
    }
    Tensor result = interp.run(inputs).get(0);
    Value outValue = g.outputValues().get(0);
    int[] expected = readCsv(dir.resolve(base + "_golden_" + csvType(outValue.dtype()) + ".csv"));
    assertThat(result.ints).as("%s output size", name).hasSameSizeAs(expected);

    int mismatches = 0;
    int worst = 0;
    int first = -1;
    for (int i = 0; i < expected.length; i++) {
      int diff = Math.abs(result.ints[i] - expected[i]);
      if (diff != 0) {
        mismatches++;
        worst = Math.max(worst, diff);
        first = first < 0 ? i : first;
      }
    }
    if (STALE_GOLDENS.contains(name)) {
      assertThat(mismatches).as("%s: stale golden allows at most %d elements off",
          name, STALE_MAX_MISMATCHES).isLessThanOrEqualTo(STALE_MAX_MISMATCHES);
      assertThat(worst).as("%s: stale golden allows only ±1", name).isLessThanOrEqualTo(1);
    } else {
      assertThat(mismatches).as("%s: %d of %d elements differ (max |diff| %d, first at %d: %s)",
          name, mismatches, expected.length, worst, first,
          first < 0 ? "" : result.ints[first] + " vs golden " + expected[first]).isZero();
    }
  }

  private static String csvType(DType d) {
    return switch (d) {
      case INT8 -> "int8";
      case INT16 -> "int16";
      case INT32 -> "int32";
      case INT64 -> "int64";
      case FLOAT32 -> "float32";
      default -> throw new IllegalArgumentException("no SEANet CSVs of " + d);
    };
  }

  private static int[] readCsv(Path p) throws IOException {
    String text = Files.readString(p).trim();
    return Arrays.stream(text.split("[,\\s]+")).mapToInt(Integer::parseInt).toArray();
  }
}
