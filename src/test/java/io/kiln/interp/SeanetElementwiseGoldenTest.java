package io.kiln.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.kiln.frontend.tflite.TfliteImporter;
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
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * TFLite Micro's SEANet single-operator integration tests for the element-wise and data-movement
 * kernels: each model, fed its CSV inputs, must reproduce the committed golden CSV exactly.
 */
class SeanetElementwiseGoldenTest {
  private static final List<String> FAMILIES =
      List.of("add", "sub", "leaky_relu", "pad", "quantize", "strided_slice");

  /**
   * MANIFEST.md: the committed goldens of these three predate a change in TFLM's int16 SUB and
   * differ from current TFLM by +-1 in 4 elements in total; we follow current TFLM.
   */
  private static final Set<String> STALE_GOLDENS = Set.of("sub0", "sub1", "sub3");
  private static final int STALE_MISMATCHES_ALLOWED = 4;

  @TestFactory
  Stream<DynamicTest> seanetModelsReproduceTheirGoldens() throws IOException {
    Path root = SharedModels.root().resolve("tflm").resolve("seanet");
    List<DynamicTest> tests = new ArrayList<>();
    int[] staleTotal = new int[1];
    for (String family : FAMILIES) {
      try (Stream<Path> files = Files.list(root.resolve(family))) {
        for (Path model : files.filter(p -> p.toString().endsWith(".tflite")).sorted().toList()) {
          String name = model.getFileName().toString().replace(".tflite", "");
          tests.add(dynamicTest(name, () -> check(model, name, staleTotal)));
        }
      }
    }
    assertThat(tests).hasSizeGreaterThanOrEqualTo(100);
    tests.add(dynamicTest("stale goldens differ in at most 4 elements in total",
        () -> assertThat(staleTotal[0]).isLessThanOrEqualTo(STALE_MISMATCHES_ALLOWED)));
    return tests.stream();
  }

  private static void check(Path model, String name, int[] staleTotal) throws IOException {
    Graph g = TfliteImporter.load(model);
    Path dir = model.getParent();
    List<Tensor> inputs = new ArrayList<>();
    List<Value> ins = g.inputValues();
    for (int k = 0; k < ins.size(); k++) {
      Value v = ins.get(k);
      Path csv = dir.resolve(name + "_input" + k + "_" + csvType(v) + ".csv");
      inputs.add(Tensor.ofInts(v.dtype(), v.shape(), readCsv(csv)));
    }
    Value outValue = g.outputValues().get(0);
    int[] expected = readCsv(dir.resolve(name + "_golden_" + csvType(outValue) + ".csv"));
    Tensor out = new Interpreter(g).run(inputs).get(0);
    assertThat(out.ints).as("%s output length", name).hasSameSizeAs(expected);
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < expected.length; i++) {
      if (out.ints[i] != expected[i]) {
        mismatches.add("[" + i + "] got " + out.ints[i] + ", golden " + expected[i]);
      }
    }
    if (STALE_GOLDENS.contains(name)) {
      if (!mismatches.isEmpty()) {
        System.out.println(name + ": known stale golden, " + mismatches.size()
            + " mismatches: " + mismatches);
      }
      for (int i = 0; i < expected.length; i++) {
        assertThat(Math.abs(out.ints[i] - expected[i])).as("%s element %d", name, i)
            .isLessThanOrEqualTo(1);
      }
      synchronized (staleTotal) {
        staleTotal[0] += mismatches.size();
      }
      assertThat(mismatches.size()).as("%s mismatches", name)
          .isLessThanOrEqualTo(STALE_MISMATCHES_ALLOWED);
    } else {
      assertThat(mismatches).as("%s differs from its golden (%d of %d): %s", name,
          mismatches.size(), expected.length,
          mismatches.subList(0, Math.min(10, mismatches.size()))).isEmpty();
    }
  }

  private static String csvType(Value v) {
    return switch (v.dtype()) {
      case INT8 -> "int8";
      case INT16 -> "int16";
      case INT32 -> "int32";
      default -> throw new IllegalStateException("unexpected dtype " + v.dtype());
    };
  }

  private static int[] readCsv(Path p) throws IOException {
    String s = Files.readString(p).trim();
    return s.isEmpty() ? new int[0]
        : Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
  }
}
