package io.kiln.passes;

import static io.kiln.passes.PassTesting.f32;
import static io.kiln.passes.PassTesting.floats;
import static io.kiln.passes.PassTesting.i8;
import static io.kiln.passes.PassTesting.int32s;
import static io.kiln.passes.PassTesting.int8s;
import static io.kiln.passes.PassTesting.perAxis;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.passes.PassTesting.Agreement;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActivationFusionTest {
  private static final Pass PASS = new RulePass("fuse-activation", Rules.FUSE_ACTIVATION);
  private static final Pass REQUANTIZING = new RulePass("fuse-activation-requantizing",
      Rules.FUSE_ACTIVATION_REQUANTIZING);

  /** x → Conv2D (output quantized as convQ) → act (output quantized as actQ). */
  private static Graph quantizedConvThen(Op act, Quantization convQ, Quantization actQ) {
    GraphBuilder b = new GraphBuilder("conv_act_q");
    int x = b.input("x", i8(0.05, -3, 1, 5, 5, 3));
    int w = b.constant("w", new TensorType(DType.INT8, Shape.of(4, 3, 3, 3), perAxis(0, 4)),
        int8s(1, 4 * 27));
    int bias = b.constant("b", TensorType.of(DType.INT32, 4), int32s(2, 4, 3000));
    int conv = b.apply(new Op.Conv2D(1, 1, 1, 1, new Pads(1, 1, 1, 1), Activation.NONE),
        List.of(x, w, bias), "conv", DType.INT8, convQ);
    b.output(b.apply(act, List.of(conv), "act", DType.INT8, actQ));
    return b.build();
  }

  @Test
  void fusesQuantizedReluWithTheSameQuantizationExactly() {
    Quantization q = Quantization.perTensor(0.1, -10);
    Graph after = PassTesting.positive("fuse-activation.quantized-relu", PASS,
        quantizedConvThen(new Op.Relu(), q, q), Agreement.EXACT);
    assertThat(after.nodes()).singleElement().extracting(n -> n.op())
        .isEqualTo(new Op.Conv2D(1, 1, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU));
  }

  @Test
  void fusesQuantizedRelu6IntoFullyConnected() {
    GraphBuilder b = new GraphBuilder("fc_relu6_q");
    int x = b.input("x", i8(0.05, 4, 1, 8));
    int w = b.constant("w", new TensorType(DType.INT8, Shape.of(6, 8), perAxis(0, 6)),
        int8s(3, 48));
    Quantization q = Quantization.perTensor(0.03, -100);
    int fc = b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(x, w), "fc",
        DType.INT8, q);
    b.output(b.apply(new Op.Relu6(), List.of(fc), "act", DType.INT8, q));
    PassTesting.positive("fuse-activation.quantized-fc-relu6", PASS, b.build(), Agreement.EXACT);
  }

  @Test
  void fusesFloatReluIntoAdd() {
    GraphBuilder b = new GraphBuilder("add_relu_f");
    int x = b.input("x", f32(1, 4, 4, 2));
    int c = b.constant("c", f32(1, 1, 1, 2), floats(4, 2));
    int sum = b.apply(new Op.Add(Activation.NONE), List.of(x, c), "sum", DType.FLOAT32,
        Quantization.NONE);
    b.output(b.apply(new Op.Relu(), List.of(sum), "act", DType.FLOAT32, Quantization.NONE));
    PassTesting.positive("fuse-activation.float-add-relu", PASS, b.build(), Agreement.EXACT);
  }

  @Test
  void fusesAFloatClipToReluSixRangeAndKeepsOtherClips() {
    GraphBuilder b = new GraphBuilder("clip");
    int x = b.input("x", f32(1, 8));
    int w = b.constant("w", f32(4, 8), floats(1, 32));
    int fc = b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(x, w), "fc",
        DType.FLOAT32, Quantization.NONE);
    b.output(b.apply(new Op.Clip(0f, 6f), List.of(fc), "clip", DType.FLOAT32,
        Quantization.NONE));
    Graph after = PassTesting.positive("fuse-activation.clip", PASS, b.build(),
        Agreement.FLOAT_TOLERANCE);
    assertThat(after.nodes()).singleElement().extracting(n -> n.op())
        .isEqualTo(new Op.FullyConnected(Activation.RELU6, false));

    GraphBuilder k = new GraphBuilder("clip_keep");
    int kx = k.input("x", f32(1, 8));
    int kw = k.constant("w", f32(4, 8), floats(1, 32));
    int kfc = k.apply(new Op.FullyConnected(Activation.NONE, false), List.of(kx, kw), "fc",
        DType.FLOAT32, Quantization.NONE);
    k.output(k.apply(new Op.Clip(-2f, 2f), List.of(kfc), "clip", DType.FLOAT32,
        Quantization.NONE));
    PassTesting.negative("fuse-activation.clip-negative", PASS, k.build());
  }

  @Test
  void refusesToFuseAcrossARequantizationByDefault() {
    Graph g = quantizedConvThen(new Op.Relu(), Quantization.perTensor(0.1, -10),
        Quantization.perTensor(0.07, -128));
    PassLog log = PassTesting.negative("fuse-activation.negative", PASS, g);
    assertThat(log.rejected()).singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("round once instead of twice"));
  }

  /**
   * Rounding once instead of twice moves a result by at most one step when the producer's scale is
   * at most 1.25 times the activation's (the intermediate rounding error is then at most 0.625
   * output steps), and its range covers the activation's ([-1.4, 11.35] ⊇ [0, 10.2]).
   */
  @Test
  void requantizingFusionIsWithinOneStep() {
    Graph g = quantizedConvThen(new Op.Relu(), Quantization.perTensor(0.05, -100),
        Quantization.perTensor(0.04, -128));
    PassTesting.positive("fuse-activation.requantizing", REQUANTIZING, g, Agreement.ONE_STEP);
  }

  /** Fusing would lose the producer's saturation at 6.85 before a Relu that reaches 17.85. */
  @Test
  void requantizingFusionRefusesWhenTheProducerSaturatesEarlier() {
    Graph g = quantizedConvThen(new Op.Relu(), Quantization.perTensor(0.05, -10),
        Quantization.perTensor(0.07, -128));
    PassLog log = PassTesting.negative("fuse-activation.requantizing-saturation", REQUANTIZING,
        g);
    assertThat(log.rejected()).singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("saturates"));
  }

  @Test
  void leavesProducersWithOtherReadersOrAFusedActivation() {
    GraphBuilder b = new GraphBuilder("keep");
    int x = b.input("x", f32(1, 8));
    int w = b.constant("w", f32(4, 8), floats(1, 32));
    int fc = b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(x, w), "fc",
        DType.FLOAT32, Quantization.NONE);
    b.output(fc);
    b.output(b.apply(new Op.Relu(), List.of(fc), "act", DType.FLOAT32, Quantization.NONE));
    int fc2 = b.apply(new Op.FullyConnected(Activation.RELU, false), List.of(x, w), "fc2",
        DType.FLOAT32, Quantization.NONE);
    b.output(b.apply(new Op.Relu6(), List.of(fc2), "act2", DType.FLOAT32, Quantization.NONE));
    PassTesting.negative("fuse-activation.shared-or-fused", PASS, b.build());
  }
}
