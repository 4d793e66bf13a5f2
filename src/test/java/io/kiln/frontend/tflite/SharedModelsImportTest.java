package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import io.kiln.testing.Golden;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every real model under shared/models imports to a verified graph with MANIFEST §5's operators. */
class SharedModelsImportTest {

  /** MANIFEST.md §5, with TFLite operator names mapped to IR operator names. */
  private static final Map<String, Map<String, Integer>> OPS = Map.ofEntries(
      Map.entry("mlperf-tiny/ad01_fp32.tflite", Map.of("FullyConnected", 10)),
      Map.entry("mlperf-tiny/ad01_int8.tflite", Map.of("FullyConnected", 10)),
      Map.entry("mlperf-tiny/kws_ref_model.tflite", Map.of("AveragePool2D", 1, "Conv2D", 5,
          "DepthwiseConv2D", 4, "FullyConnected", 1, "Reshape", 1, "Softmax", 1)),
      Map.entry("mlperf-tiny/kws_ref_model_float32.tflite", Map.of("AveragePool2D", 1,
          "Conv2D", 5, "DepthwiseConv2D", 4, "FullyConnected", 1, "Reshape", 1, "Softmax", 1)),
      Map.entry("mlperf-tiny/model_ToyCar_quant_fullint_micro.tflite", Map.of("Dequantize", 1,
          "FullyConnected", 10, "Quantize", 1)),
      Map.entry("mlperf-tiny/pretrainedResnet.tflite", Map.of("Add", 3, "AveragePool2D", 1,
          "Conv2D", 9, "FullyConnected", 1, "Reshape", 1, "Softmax", 1)),
      Map.entry("mlperf-tiny/pretrainedResnet_quant.tflite", Map.of("Add", 3, "AveragePool2D", 1,
          "Conv2D", 9, "FullyConnected", 1, "Reshape", 1, "Softmax", 1)),
      Map.entry("mlperf-tiny/vww_96_float.tflite", Map.of("AveragePool2D", 1, "Conv2D", 14,
          "DepthwiseConv2D", 13, "FullyConnected", 1, "Reshape", 1, "Softmax", 1)),
      Map.entry("mlperf-tiny/vww_96_int8.tflite", Map.of("AveragePool2D", 1, "Conv2D", 14,
          "DepthwiseConv2D", 13, "FullyConnected", 1, "Reshape", 1, "Softmax", 1)),
      Map.entry("tflm/hello_world/hello_world_float.tflite", Map.of("FullyConnected", 3)),
      Map.entry("tflm/hello_world/hello_world_int8.tflite", Map.of("FullyConnected", 3)),
      Map.entry("tflm/micro_speech/micro_speech_quantized.tflite", Map.of("DepthwiseConv2D", 1,
          "FullyConnected", 1, "Reshape", 1, "Softmax", 1)),
      Map.entry("tflm/person_detection/person_detect.tflite", Map.of("AveragePool2D", 1,
          "Conv2D", 14, "DepthwiseConv2D", 14, "Reshape", 1, "Softmax", 1)));

  /** SEANet folders: one operator per model, and how many models each folder holds. */
  private static final Map<String, String> SEANET_OP = Map.of("add", "Add", "conv", "Conv2D",
      "leaky_relu", "LeakyRelu", "pad", "Pad", "quantize", "Quantize", "strided_slice",
      "StridedSlice", "sub", "Sub", "transpose_conv", "TransposeConv");
  private static final Map<String, Integer> SEANET_COUNT = Map.of("add", 17, "conv", 22,
      "leaky_relu", 23, "pad", 19, "quantize", 2, "strided_slice", 34, "sub", 5,
      "transpose_conv", 5);

  private static final List<String> AUDIO_PREPROCESSORS = List.of(
      "tflm/micro_speech/audio_preprocessor_float.tflite",
      "tflm/micro_speech/audio_preprocessor_int8.tflite");

  static Stream<Arguments> models() throws IOException {
    Path root = SharedModels.root();
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".tflite")).sorted()
          .map(p -> Arguments.of(root.relativize(p).toString().replace('\\', '/')))
          .toList().stream();
    }
  }

  private static Map<String, Integer> opCounts(Graph g) {
    Map<String, Integer> counts = new TreeMap<>();
    for (Node n : g.nodes()) {
      counts.merge(n.op().opName(), 1, Integer::sum);
    }
    return counts;
  }

  private static Graph load(String relative) {
    return TfliteImporter.load(SharedModels.file(relative));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void importsAndVerifies(String model) {
    Graph g = load(model);
    if (AUDIO_PREPROCESSORS.contains(model)) {
      // Two-output signal operators import as two nodes each (SignalOp's split).
      assertThat(opCounts(g)).containsEntry("SignalFftAutoScale", 1)
          .containsEntry("SignalFftAutoScale.scale_bits", 1)
          .containsEntry("SignalFilterBankSpectralSubtraction", 1)
          .containsEntry("SignalFilterBankSpectralSubtraction.noise_estimate", 1)
          .containsEntry("SignalPCAN", 1).containsEntry("SignalRfft", 1);
      assertThat(Verifier.check(g)).isEmpty();
      return;
    }
    assertThat(Verifier.check(g)).isEmpty();
    String file = Path.of(model).getFileName().toString();
    assertThat(g.name()).isEqualTo(file.substring(0, file.length() - ".tflite".length()));
    assertThat(g.inputs()).isNotEmpty();
    assertThat(g.outputs()).isNotEmpty();
    if (model.startsWith("tflm/seanet/")) {
      String folder = model.split("/")[2];
      assertThat(opCounts(g)).isEqualTo(Map.of(SEANET_OP.get(folder), 1));
    } else {
      assertThat(OPS).as("MANIFEST §5 entry for %s", model).containsKey(model);
      assertThat(opCounts(g)).isEqualTo(OPS.get(model));
    }
  }

  @Test
  void everyModelOfTheManifestIsPresent() throws IOException {
    List<String> all = models().map(a -> (String) a.get()[0]).toList();
    assertThat(all).containsAll(OPS.keySet()).containsAll(AUDIO_PREPROCESSORS);
    Map<String, Integer> seanet = new TreeMap<>();
    all.stream().filter(m -> m.startsWith("tflm/seanet/"))
        .forEach(m -> seanet.merge(m.split("/")[2], 1, Integer::sum));
    assertThat(seanet).isEqualTo(new TreeMap<>(SEANET_COUNT));
    assertThat(all).hasSize(OPS.size() + AUDIO_PREPROCESSORS.size() + 127);
  }

  @Test
  void kwsFirstConvPadsMatchTfliteSamePadding() {
    Graph g = load("mlperf-tiny/kws_ref_model.tflite");
    Node conv = g.nodes().get(0);
    Shape in = g.input(conv, Op.Conv2D.INPUT).shape();
    Shape filter = g.input(conv, Op.Conv2D.FILTER).shape();
    assertThat(in).isEqualTo(Shape.of(1, 49, 10, 1));
    assertThat(filter).isEqualTo(Shape.of(64, 10, 4, 1));
    // SAME, stride 2: out = ceil(49/2) = 25 rows, ceil(10/2) = 5 columns.
    // Rows: total = (25-1)*2 + 10 - 49 = 9 -> 4 before, 5 after.
    // Columns: total = (5-1)*2 + 4 - 10 = 2 -> 1 before, 1 after.
    assertThat(conv.op()).isEqualTo(new Op.Conv2D(2, 2, 1, 1, new Op.Pads(4, 1, 5, 1),
        Op.Activation.RELU));
    assertThat(g.output(conv).shape()).isEqualTo(Shape.of(1, 25, 5, 64));
    assertThat(g.input(conv, Op.Conv2D.FILTER).quant()).isInstanceOf(Quantization.PerAxis.class);
  }

  @Test
  void personDetectBiasQuantizedDimensionIsTakenAsAxis0() {
    Graph g = load("tflm/person_detection/person_detect.tflite");
    for (Node n : g.nodes()) {
      if (n.op() instanceof Op.Conv2D || n.op() instanceof Op.DepthwiseConv2D) {
        Value bias = g.input(n, Op.Conv2D.BIAS);
        assertThat(bias.shape().rank()).isEqualTo(1);
        if (bias.quant() instanceof Quantization.PerAxis p) {
          assertThat(p.axis()).isZero();
          assertThat(p.channels()).isEqualTo(bias.shape().dim(0));
        }
      }
    }
  }

  @Test
  void helloWorldDynamicBatchUsesTheStaticShape() {
    Graph g = load("tflm/hello_world/hello_world_int8.tflite");
    assertThat(g.inputValues().get(0).shape()).isEqualTo(Shape.of(1, 1));
    assertThat(g.inputValues().get(0).dtype()).isEqualTo(DType.INT8);
  }

  @Test
  void hybridKwsFloatModelGetsItsInt8ConvWeightsDequantized() {
    Graph g = load("mlperf-tiny/kws_ref_model_float32.tflite");
    Node conv = g.nodes().get(0);
    assertThat(g.input(conv, Op.Conv2D.INPUT).dtype()).isEqualTo(DType.FLOAT32);
    // The file stores int8 weights; io.kiln.frontend.HybridWeights makes them float on import.
    assertThat(g.input(conv, Op.Conv2D.FILTER).dtype()).isEqualTo(DType.FLOAT32);
    assertThat(g.input(conv, Op.Conv2D.FILTER).quant().isQuantized()).isFalse();
  }

  @Test
  void seanetTransposeConvKeepsOutputShapeInputInSlot3() {
    Graph g = load("tflm/seanet/transpose_conv/transpose_conv3.tflite");
    Node n = g.nodes().get(0);
    Value outputShape = g.input(n, Op.TransposeConv.OUTPUT_SHAPE);
    assertThat(outputShape.id()).isEqualTo(g.inputs().get(0));
    assertThat(outputShape.dtype()).isEqualTo(DType.INT32);
    assertThat(g.input(n, Op.TransposeConv.INPUT).shape()).isEqualTo(Shape.of(1, 1, 40, 32));
    assertThat(g.input(n, Op.TransposeConv.FILTER).isConstant()).isTrue();
    assertThat(g.input(n, Op.TransposeConv.BIAS).dtype()).isEqualTo(DType.INT64);
    Op.TransposeConv t = (Op.TransposeConv) n.op();
    assertThat(t.outputShape()).isEqualTo(Shape.of(1, 4, 82, 16));
    // Full transposed extent: rows (1-1)*2+4 = 4, columns (40-1)*2+4 = 82; nothing to crop.
    assertThat(t.pads()).isEqualTo(Op.Pads.NONE);
  }

  @Test
  void goldenHelloWorldInt8() {
    Golden.assertMatches("tflite/hello_world_int8.txt",
        GraphPrinter.print(load("tflm/hello_world/hello_world_int8.tflite")));
  }

  @Test
  void goldenKwsRefModel() {
    Golden.assertMatches("tflite/kws_ref_model.txt",
        GraphPrinter.print(load("mlperf-tiny/kws_ref_model.tflite")));
  }

  @Test
  void goldenSeanetTransposeConv() {
    Golden.assertMatches("tflite/transpose_conv3.txt",
        GraphPrinter.print(load("tflm/seanet/transpose_conv/transpose_conv3.tflite")));
  }

  @Test
  void goldenSeanetStridedSlice() {
    Golden.assertMatches("tflite/strided_slice0.txt",
        GraphPrinter.print(load("tflm/seanet/strided_slice/strided_slice0.tflite")));
  }
}
