package io.kiln.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.models.Builtins;
import java.util.List;
import org.junit.jupiter.api.Test;

class CostAnalysisTest {

  private static int floatConst(GraphBuilder b, String name, int... dims) {
    return b.constant(name, TensorType.of(DType.FLOAT32, dims),
        ConstData.ofFloats(new float[Shape.of(dims).elements()]));
  }

  private static long macsOfOnlyNode(Graph g) {
    return Macs.of(g, g.nodes().get(0));
  }

  @Test
  void convCountsOutputElementsTimesWindowTimesChannelsPerGroup() {
    GraphBuilder b = new GraphBuilder("grouped");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 6, 6, 8));
    // 8 input channels, filter depth 2: 4 groups of 2 channels, 4 output channels.
    int w = floatConst(b, "w", 4, 3, 3, 2);
    int y = b.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.NONE), List.of(x, w,
        Node.ABSENT), "y", DType.FLOAT32, Quantization.NONE);
    b.output(y);
    // out [1,4,4,4] = 64 elements, each 3*3*2 = 18 products.
    assertThat(macsOfOnlyNode(b.build())).isEqualTo(64L * 18);
  }

  @Test
  void depthwiseCountsOneWindowPerOutputElement() {
    GraphBuilder b = new GraphBuilder("dw");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 5, 5, 3));
    int w = floatConst(b, "w", 1, 3, 3, 6);
    int y = b.apply(new Op.DepthwiseConv2D(2, 2, 1, 1, new Pads(1, 1, 1, 1), 2,
        Activation.NONE), List.of(x, w), "y", DType.FLOAT32, Quantization.NONE);
    b.output(y);
    // out [1,3,3,6] = 54 elements (multiplier 2), each a 3x3 window.
    assertThat(macsOfOnlyNode(b.build())).isEqualTo(54L * 9);
  }

  @Test
  void fullyConnectedIsBatchTimesInTimesOut() {
    GraphBuilder b = new GraphBuilder("fc");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 3, 20));
    int w = floatConst(b, "w", 7, 20);
    int y = b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(x, w), "y",
        DType.FLOAT32, Quantization.NONE);
    b.output(y);
    assertThat(macsOfOnlyNode(b.build())).isEqualTo(3L * 20 * 7);
  }

  @Test
  void transposeConvScattersEveryInputElementIntoAKernelPatch() {
    GraphBuilder b = new GraphBuilder("tconv");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 4, 4, 3));
    int w = floatConst(b, "w", 5, 3, 3, 3);
    int y = b.apply(new Op.TransposeConv(2, 2, new Pads(0, 0, 1, 1), Shape.of(1, 8, 8, 5),
        Activation.NONE), List.of(x, w), "y", DType.FLOAT32, Quantization.NONE);
    b.output(y);
    // 48 input elements, each times 3*3 taps times 5 output channels.
    assertThat(macsOfOnlyNode(b.build())).isEqualTo(48L * 9 * 5);
  }

  @Test
  void poolingAndElementwiseOpsHaveNoMacs() {
    GraphBuilder b = new GraphBuilder("misc");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 4, 4, 2));
    int p = b.apply(new Op.AveragePool2D(2, 2, 2, 2, Pads.NONE, Activation.NONE), List.of(x),
        "p", DType.FLOAT32, Quantization.NONE);
    int s = b.apply(new Op.Add(Activation.NONE), List.of(p, p), "s", DType.FLOAT32,
        Quantization.NONE);
    b.output(s);
    GraphCost c = CostAnalysis.analyze(b.build());
    assertThat(c.macs()).isZero();
    // add(p, p) reads one 32-byte tensor, stored once.
    assertThat(c.nodes().get(1).inputActivationBytes()).isEqualTo(32);
    assertThat(c.nodes().get(1).inputs()).hasSize(2);
  }

  /**
   * Hand count of the DS-CNN layer sizes (the MLPerf Tiny KWS model's):
   * conv 10x4 over 49x10x1 with stride 2 SAME gives 25x5x64 = 8000 outputs of 40 MACs = 320,000;
   * each of 4 blocks has a depthwise 3x3 (8000 x 9 = 72,000) and a pointwise 64->64
   * (8000 x 64 = 512,000); the classifier is 64 x 12 = 768. Total 2,656,768.
   */
  @Test
  void dsCnnMacsMatchHandCount() {
    GraphCost c = CostAnalysis.analyze(Builtins.named("ds_cnn").build());
    assertThat(c.nodes().get(0).macs()).isEqualTo(320_000);
    assertThat(c.nodes().get(1).macs()).isEqualTo(72_000);
    assertThat(c.nodes().get(2).macs()).isEqualTo(512_000);
    assertThat(c.macs()).isEqualTo(320_000 + 4 * (72_000 + 512_000) + 768);
    assertThat(c.macs()).isEqualTo(2_656_768);
    assertThat(c.ops()).isEqualTo(13);
  }

  /**
   * Hand count of ResNet8: conv0 32*32*16 outputs x 27 = 442,368; stack 1 two 3x3x16 convs at
   * 32x32x16 = 2 x 2,359,296; stack 2 a strided 3x3x16 conv to 16x16x32 (1,179,648), a 3x3x32
   * conv (2,359,296) and a 1x1x16 shortcut (131,072); stack 3 the same pattern at 8x8x64
   * (1,179,648 + 2,359,296 + 131,072); FC 64 x 10 = 640.
   */
  @Test
  void resnetMacsMatchHandCount() {
    GraphCost c = CostAnalysis.analyze(Builtins.named("resnet").build());
    long expected = 442_368 + 2 * 2_359_296 + (1_179_648 + 2_359_296 + 131_072) * 2 + 640;
    assertThat(c.macs()).isEqualTo(expected).isEqualTo(12_501_632);
  }

  @Test
  void parameterBytesCountConstantInputs() {
    GraphCost c = CostAnalysis.analyze(Builtins.named("ds_cnn").build());
    // conv0: 64x10x4x1 int8 filter + 64 int32 bias.
    assertThat(c.nodes().get(0).paramBytes()).isEqualTo(2560 + 256);
    // depthwise: 3x3x64 int8 + 64 int32.
    assertThat(c.nodes().get(1).paramBytes()).isEqualTo(576 + 256);
    assertThat(c.paramBytes()).isEqualTo(2816 + 4 * (832 + 4096 + 256) + 768 + 48);
    assertThat(c.nodes().get(0).inputActivationBytes()).isEqualTo(490);
    assertThat(c.nodes().get(0).outputActivationBytes()).isEqualTo(8000);
  }

  @Test
  void sharedConstantCountsOnceInTheTotal() {
    GraphBuilder b = new GraphBuilder("shared");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 2, 4));
    int w = floatConst(b, "w", 4, 4);
    int y = b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(x, w), "y",
        DType.FLOAT32, Quantization.NONE);
    int z = b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(y, w), "z",
        DType.FLOAT32, Quantization.NONE);
    b.output(z);
    GraphCost c = CostAnalysis.analyze(b.build());
    assertThat(c.nodes()).extracting(NodeCost::paramBytes).containsExactly(64L, 64L);
    assertThat(c.paramBytes()).isEqualTo(64);
  }

  @Test
  void peakActivationFollowsLiveness() {
    // In a chain every tensor dies after its only reader, so at most two are live at once.
    GraphBuilder g = new GraphBuilder("chain");
    int x = g.input("x", TensorType.of(DType.FLOAT32, 1, 5, 5, 1));
    int w1 = floatConst(g, "w1", 2, 1, 1, 1);
    int a = g.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.NONE), List.of(x, w1), "a",
        DType.FLOAT32, Quantization.NONE);
    int p = g.apply(new Op.MaxPool2D(5, 5, 1, 1, Pads.NONE, Activation.NONE), List.of(a), "p",
        DType.FLOAT32, Quantization.NONE);
    int s = g.apply(new Op.Add(Activation.NONE), List.of(p, p), "s", DType.FLOAT32,
        Quantization.NONE);
    g.output(s);
    GraphCost c = CostAnalysis.analyze(g.build());
    // step 0: x 100 + a 200; step 1: a 200 + p 8; step 2: p 8 + s 8.
    assertThat(c.peakActivationBytes()).isEqualTo(300);
    assertThat(c.totalActivationBytes()).isEqualTo(100 + 200 + 8 + 8);
  }

  @Test
  void residualInputStaysLiveAcrossTheBranch() {
    GraphBuilder g = new GraphBuilder("residual");
    int x = g.input("x", TensorType.of(DType.FLOAT32, 1, 4, 4, 4));
    int w = floatConst(g, "w", 4, 1, 1, 4);
    int a = g.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.NONE), List.of(x, w), "a",
        DType.FLOAT32, Quantization.NONE);
    int b = g.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.NONE), List.of(a, w), "b",
        DType.FLOAT32, Quantization.NONE);
    int s = g.apply(new Op.Add(Activation.NONE), List.of(x, b), "s", DType.FLOAT32,
        Quantization.NONE);
    g.output(s);
    GraphCost c = CostAnalysis.analyze(g.build());
    // step 1 holds x (read again by the add), a and b: 3 x 256 bytes.
    assertThat(c.peakActivationBytes()).isEqualTo(768);
    assertThat(c.paramBytes()).isEqualTo(64);
  }
}
