package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every int8 model and case of the shared reference outputs (all {@code rand16} samples
 * included), and the float32 models made of fully-connected layers (hello_world_float,
 * ad01_fp32: float C summed in TFLM's order is bit-exact too), compiled to C, built with gcc, and run by {@code kiln_host}: the outputs must be
 * byte-identical to TensorFlow Lite Micro's. Each model is built once, strictly
 * ({@code -O2 -Wall -Wextra -Werror}) and once more with AddressSanitizer and UBSan, which must
 * stay silent.
 */
class ReferenceModelsCodegenTest {
  static final List<String> MODELS = List.of("kws_ref_model", "vww_96_int8",
      "pretrainedResnet_quant", "ad01_int8", "model_ToyCar_quant_fullint_micro",
      "micro_speech_quantized", "person_detect", "hello_world_int8", "audio_preprocessor_int8",
      "hello_world_float", "ad01_fp32");

  @TempDir
  static Path tmp;

  @TestFactory
  Stream<DynamicNode> generatedCMatchesTflm() throws IOException {
    NativeBuild.assumeGcc();
    Path root = SharedModels.root();
    JsonNode index = new ObjectMapper().readTree(
        root.resolve("reference-outputs/index.json").toFile());
    List<DynamicNode> nodes = new ArrayList<>();
    for (String folder : MODELS) {
      JsonNode entry = index.get(folder);
      Path model = root.resolve(entry.get("model").asText());
      Path refDir = root.resolve("reference-outputs").resolve(folder);
      List<Case> cases = cases(entry, refDir);
      nodes.add(dynamicContainer(folder, Stream.of("strict", "sanitized").map(flavor ->
          dynamicTest(flavor + " build, " + cases.size() + " cases", () -> {
            Graph g = TfliteImporter.load(model);
            Path dir = tmp.resolve(folder + "_" + flavor);
            Path host = NativeBuild.build(g, dir, flavor.equals("strict") ? NativeBuild.STRICT
                : NativeBuild.SANITIZE);
            for (Case c : cases) {
              List<byte[]> inputs = new ArrayList<>();
              for (int k = 0; k < g.inputs().size(); k++) {
                inputs.add(Files.readAllBytes(refDir.resolve(c.name + (g.inputs().size() == 1
                    ? ".in.bin" : ".in" + k + ".bin"))));
              }
              List<byte[]> outs = NativeBuild.run(host, inputs, c.batch, g.outputs().size());
              for (int j = 0; j < outs.size(); j++) {
                Path single = refDir.resolve(c.name + ".out.tflm.bin");
                byte[] expected = Files.readAllBytes(Files.exists(single) ? single
                    : refDir.resolve(c.name + ".out" + j + ".tflm.bin"));
                assertThat(outs.get(j)).as("%s/%s output %d (%s)", folder, c.name, j, flavor)
                    .hasSize(expected.length);
                int first = firstDifference(expected, outs.get(j));
                assertThat(first).as("%s/%s output %d (%s): first differing byte", folder, c.name,
                    j, flavor).isEqualTo(-1);
              }
            }
          }))));
    }
    return nodes.stream();
  }

  record Case(String name, int batch) {}

  private static List<Case> cases(JsonNode entry, Path refDir) {
    List<Case> cases = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = entry.get("cases").fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> c = it.next();
      if (c.getValue().get("engines").path("tflm").asText("").startsWith("ok")) {
        cases.add(new Case(c.getKey(), c.getValue().get("batch").asInt()));
      }
    }
    if (Files.exists(refDir.resolve("rand16.out.tflm.bin"))) {
      cases.add(new Case("rand16", 16));
    }
    assertThat(cases).as("cases in %s", refDir).isNotEmpty();
    return cases;
  }

  private static int firstDifference(byte[] a, byte[] b) {
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] != b[i]) {
        return i;
      }
    }
    return a.length == b.length ? -1 : Math.min(a.length, b.length);
  }
}
