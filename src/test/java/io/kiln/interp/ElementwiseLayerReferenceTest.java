package io.kiln.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every Softmax, Add, Reshape, Quantize and Dequantize layer of the reference models, run alone
 * on TFLite Micro's own input tensors for the first rand16 sample (from {@code layers/}), must
 * reproduce TFLM's output tensor bit for bit; and a full trace must agree on those layers too.
 */
class ElementwiseLayerReferenceTest {
  private static final List<String> MODELS = List.of("kws_ref_model", "vww_96_int8",
      "pretrainedResnet_quant", "ad01_int8", "micro_speech_quantized", "person_detect");

  private static boolean mine(Op op) {
    return op instanceof Op.Softmax || op instanceof Op.Add || op instanceof Op.Reshape
        || op instanceof Op.Quantize || op instanceof Op.Dequantize;
  }

  @TestFactory
  Stream<DynamicTest> layersMatchTflm() throws IOException {
    Path refs = SharedModels.root().resolve("reference-outputs");
    JsonNode modelIndex = new ObjectMapper().readTree(refs.resolve("index.json").toFile());
    List<DynamicTest> tests = new ArrayList<>();
    for (String model : MODELS) {
      Path layers = refs.resolve(model).resolve("layers");
      if (!Files.isDirectory(layers)) {
        continue;
      }
      Graph g = TfliteImporter.load(modelFile(refs, modelIndex, model));
      JsonNode index = new ObjectMapper().readTree(layers.resolve("index.json").toFile());
      Map<Integer, JsonNode> byOp = new HashMap<>();
      for (JsonNode t : index.get("tensors")) {
        byOp.put(t.get("op_index").asInt(), t);
      }
      // Which node produces each value, to fetch TFLM's tensor for a node's inputs.
      Map<Integer, Integer> producer = new HashMap<>();
      for (int k = 0; k < g.nodes().size(); k++) {
        producer.put(g.nodes().get(k).output(), k);
      }
      Tensor input = firstSample(refs.resolve(model).resolve("rand16.in.bin"),
          g.inputValues().get(0));
      tests.add(dynamicTest(model + " full trace", () -> {
        Tensor[] env = new Interpreter(g).trace(List.of(input));
        for (int k = 0; k < g.nodes().size(); k++) {
          Node n = g.nodes().get(k);
          if (mine(n.op())) {
            byte[] expected = Files.readAllBytes(layers.resolve(byOp.get(k).get("file").asText()));
            assertThat(env[n.output()].toBytes()).as("%s traced op %d", model, k)
                .isEqualTo(expected);
          }
        }
      }));
      for (int k = 0; k < g.nodes().size(); k++) {
        Node n = g.nodes().get(k);
        if (!mine(n.op())) {
          continue;
        }
        int nodeIndex = k;
        tests.add(dynamicTest(model + " op " + k + " " + n.op().opName(), () -> {
          JsonNode entry = byOp.get(nodeIndex);
          assertThat(entry).as("layer entry for op %d", nodeIndex).isNotNull();
          assertThat(g.output(n).name()).isEqualTo(entry.get("name").asText());
          Tensor[] args = new Tensor[n.inputs().size()];
          for (int i = 0; i < args.length; i++) {
            int id = n.inputs().get(i);
            Value v = g.value(id);
            if (v.isConstant()) {
              args[i] = Tensor.fromConstant(v);
            } else if (producer.containsKey(id)) {
              JsonNode from = byOp.get(producer.get(id));
              args[i] = Tensor.fromBytes(v.dtype(), v.shape(),
                  Files.readAllBytes(layers.resolve(from.get("file").asText())));
            } else {
              args[i] = input;
            }
          }
          Tensor got = Kernels.prepare(g, n).run(args);
          byte[] expected = Files.readAllBytes(layers.resolve(entry.get("file").asText()));
          assertThat(got.toBytes()).as("%s op %d (%s)", model, nodeIndex, n.op().opName())
              .isEqualTo(expected);
        }));
      }
    }
    assertThat(tests).as("layers checked").hasSizeGreaterThanOrEqualTo(10);
    return tests.stream();
  }

  private static Path modelFile(Path refs, JsonNode modelIndex, String model) {
    JsonNode entry = modelIndex.get(model);
    if (entry != null && entry.has("model")) {
      return refs.getParent().resolve(entry.get("model").asText());
    }
    // Fallbacks in case index.json lacks the model path.
    Path mlperf = refs.getParent().resolve("mlperf-tiny").resolve(model + ".tflite");
    if (Files.exists(mlperf)) {
      return mlperf;
    }
    String dir = model.startsWith("micro_speech") ? "micro_speech" : "person_detection";
    return refs.getParent().resolve("tflm").resolve(dir).resolve(model + ".tflite");
  }

  private static Tensor firstSample(Path file, Value in) throws IOException {
    byte[] all = Files.readAllBytes(file);
    int bytes = in.shape().elements() * in.dtype().bytes();
    return Tensor.fromBytes(in.dtype(), in.shape(), Arrays.copyOf(all, bytes));
  }
}
