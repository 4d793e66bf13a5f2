package io.kiln.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
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
 * Layer by layer against TensorFlow Lite Micro: for the MLPerf Tiny and TFLM example int8 models,
 * the interpreter's trace of the first {@code rand16} sample must reproduce, bit for bit, every
 * convolution, depthwise, fully-connected and pooling output TFLM recorded in
 * {@code reference-outputs/<model>/layers/}. Also checks that the float twins reproduce TFLM's
 * float outputs bit for bit, since the float kernels sum in float in TFLM's order.
 */
class LayerReferenceTest {
  private static final List<String> MODELS = List.of("kws_ref_model", "vww_96_int8",
      "pretrainedResnet_quant", "ad01_int8", "person_detect", "micro_speech_quantized");
  private static final Set<String> WEIGHTED_AND_POOLING = Set.of("CONV_2D", "DEPTHWISE_CONV_2D",
      "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "TRANSPOSE_CONV", "MEAN");
  private static final List<String> FLOAT_CASES = List.of("ad01_fp32/dcase_normal_id_01_00000000",
      "pretrainedResnet/rand_dq", "pretrainedResnet/zeros_dq", "vww_96_float/rand_dq",
      "vww_96_float/zeros_dq", "hello_world_float/x_0_to_2pi");

  @TestFactory
  Stream<DynamicTest> weightedAndPoolingLayersMatchTflm() throws IOException {
    Path root = SharedModels.root();
    JsonNode index = new ObjectMapper().readTree(
        root.resolve("reference-outputs/index.json").toFile());
    List<DynamicTest> tests = new ArrayList<>();
    for (String model : MODELS) {
      tests.add(dynamicTest(model, () -> checkLayers(root, index, model)));
    }
    return tests.stream();
  }

  private static void checkLayers(Path root, JsonNode index, String model) throws IOException {
    Path dir = root.resolve("reference-outputs").resolve(model);
    Graph g = TfliteImporter.load(root.resolve(index.get(model).get("model").asText()));
    List<Value> ins = g.inputValues();
    assertThat(ins).as("%s inputs", model).hasSize(1);
    Value in = ins.get(0);
    byte[] all = Files.readAllBytes(dir.resolve("rand16.in.bin"));
    int size = (int) in.type().bytes();
    assertThat(all.length).as("%s rand16 input", model).isEqualTo(16 * size);
    Tensor first = Tensor.fromBytes(in.dtype(), in.shape(), Arrays.copyOf(all, size));
    Tensor[] env = new Interpreter(g).trace(List.of(first));

    JsonNode layers = new ObjectMapper().readTree(dir.resolve("layers/index.json").toFile());
    int checked = 0;
    for (JsonNode layer : layers.get("tensors")) {
      String op = layer.get("op").asText();
      if (!WEIGHTED_AND_POOLING.contains(op)) {
        continue;
      }
      int opIndex = layer.get("op_index").asInt();
      // The importer maps TFLite operator k to IR node k.
      Node node = g.nodes().get(opIndex);
      Value out = g.output(node);
      String what = model + " operator " + opIndex + " (" + op + ", tensor "
          + layer.get("tensor").asInt() + ")";
      assertThat(out.name()).as("%s name", what).isEqualTo(layer.get("name").asText());
      byte[] expected = Files.readAllBytes(dir.resolve("layers").resolve(
          layer.get("file").asText()));
      byte[] actual = env[out.id()].toBytes();
      assertThat(actual).as("%s size", what).hasSameSizeAs(expected);
      int mismatches = 0;
      int firstAt = -1;
      for (int i = 0; i < expected.length; i++) {
        if (expected[i] != actual[i]) {
          mismatches++;
          firstAt = firstAt < 0 ? i : firstAt;
        }
      }
      assertThat(mismatches).as("%s: %d of %d bytes differ, first at byte %d", what, mismatches,
          expected.length, firstAt).isZero();
      checked++;
    }
    assertThat(checked).as("%s layers checked", model).isPositive();
  }

  @TestFactory
  Stream<DynamicTest> floatTwinsMatchTflmBitForBit() throws IOException {
    Path root = SharedModels.root();
    JsonNode index = new ObjectMapper().readTree(
        root.resolve("reference-outputs/index.json").toFile());
    return FLOAT_CASES.stream().map(c -> dynamicTest(c, () -> {
      String folder = c.substring(0, c.indexOf('/'));
      String caseName = c.substring(c.indexOf('/') + 1);
      JsonNode entry = index.get(folder);
      int batch = entry.get("cases").get(caseName).get("batch").asInt();
      Graph g = TfliteImporter.load(root.resolve(entry.get("model").asText()));
      Interpreter interp = new Interpreter(g);
      Path dir = root.resolve("reference-outputs").resolve(folder);
      byte[] input = Files.readAllBytes(dir.resolve(caseName + ".in.bin"));
      byte[] expected = Files.readAllBytes(dir.resolve(caseName + ".out.tflm.bin"));
      Value in = g.inputValues().get(0);
      int size = (int) in.type().bytes();
      java.io.ByteArrayOutputStream actual = new java.io.ByteArrayOutputStream();
      for (int s = 0; s < batch; s++) {
        Tensor t = Tensor.fromBytes(in.dtype(), in.shape(),
            Arrays.copyOfRange(input, s * size, (s + 1) * size));
        actual.writeBytes(interp.run(List.of(t)).get(0).toBytes());
      }
      assertThat(actual.toByteArray()).as("%s vs TFLM", c).isEqualTo(expected);
    }));
  }
}
