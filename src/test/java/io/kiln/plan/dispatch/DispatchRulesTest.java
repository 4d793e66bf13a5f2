package io.kiln.plan.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.passes.GraphIndex;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each dispatch rule on small hand-built layers: one that passes and one that is rejected. */
class DispatchRulesTest {
  static final HardwareDescription DIANA = Targets.resolve("diana");

  /** A 1x16x16xC conv with power-of-two scales (so shift-only requant works) and given weights. */
  static Graph conv(int k, int c, int kh, int kw, int stride, int dilation, Op.Pads pads,
      int weightValue, Op.Activation act, float outScale) {
    GraphBuilder b = new GraphBuilder("t");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 16, 16, c), 0.5, 0));
    int[] w = new int[k * kh * kw * c];
    Arrays.fill(w, weightValue);
    float[] ws = new float[k];
    Arrays.fill(ws, 0.25f);
    int wid = b.constant("w", new TensorType(DType.INT8, Shape.of(k, kh, kw, c),
        new Quantization.PerAxis(0, ws, new long[k])), ConstData.ofInts(DType.INT8, w));
    int oy = (16 + pads.top() + pads.bottom() - ((kh - 1) * dilation + 1)) / stride + 1;
    int ox = (16 + pads.left() + pads.right() - ((kw - 1) * dilation + 1)) / stride + 1;
    int y = b.value("y", TensorType.quantized(DType.INT8, Shape.of(1, oy, ox, k), outScale, 0));
    b.node(new Op.Conv2D(stride, stride, dilation, dilation, pads, act), List.of(x, wid),
        List.of(y));
    b.output(y);
    return b.build();
  }

  static Graph conv3x3() {
    return conv(16, 16, 3, 3, 1, 1, new Op.Pads(1, 1, 1, 1), 3, Op.Activation.RELU, 0.125f);
  }

  static List<String> reasons(Graph g, String acc) {
    Layer l = LayerPatterns.match(new GraphIndex(g), g.nodes().get(0)).layer().orElseThrow();
    var a = DIANA.accelerator(acc).orElseThrow();
    return Dispatcher.check(l, new DispatchRule.Site("diana", a,
        a.patterns(l.kind()).get(0), false));
  }

  @Test
  void aPlainConvPassesEveryRuleOnDigital() {
    assertThat(reasons(conv3x3(), "digital")).isEmpty();
  }

  /** The conv of {@link #conv3x3} with input zero point {@code zp}. */
  static Graph conv3x3WithInputZeroPoint(long zp) {
    Graph g = conv3x3();
    var x = g.value(0);
    List<io.kiln.ir.Value> values = new java.util.ArrayList<>(g.values());
    values.set(0, new io.kiln.ir.Value(0, x.name(), x.type().withQuant(
        new Quantization.PerTensor(0.5f, zp)), null));
    return new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs());
  }

  @Test
  void zeroPointsAreFoldedOrRequiredToBeZeroAsTheUnitSays() {
    Graph asymmetric = conv3x3WithInputZeroPoint(-128);
    assertThat(reasons(asymmetric, "digital")).isEmpty();
    var a = DIANA.accelerator("digital").orElseThrow()
        .withZeroPoints(io.kiln.target.Accelerator.ZeroPoints.REQUIRE_ZERO);
    Layer l = LayerPatterns.match(new GraphIndex(asymmetric), asymmetric.nodes().get(0)).layer()
        .orElseThrow();
    assertThat(Dispatcher.check(l, new DispatchRule.Site("diana", a, a.patterns(l.kind()).get(0),
        false))).containsExactly("activation zero point -128 of %0 not supported by"
        + " diana.digital: it requires zero points of 0 (zero_points: require_zero); quantize"
        + " with symmetric activations");
    Layer symmetric = LayerPatterns.match(new GraphIndex(conv3x3()), conv3x3().nodes().get(0))
        .layer().orElseThrow();
    assertThat(Dispatcher.check(symmetric, new DispatchRule.Site("diana", a,
        a.patterns(l.kind()).get(0), false))).isEmpty();
  }

  @Test
  void kernelSize() {
    assertThat(reasons(conv(16, 16, 9, 9, 1, 1, Op.Pads.NONE, 3, Op.Activation.RELU, 0.125f),
        "digital")).containsExactly(
            "kernel 9x9 not supported by diana.digital: supports 1..7");
  }

  @Test
  void stride() {
    assertThat(reasons(conv(16, 16, 3, 3, 3, 1, Op.Pads.NONE, 3, Op.Activation.RELU, 0.125f),
        "digital")).singleElement().asString().startsWith("stride 3x3 not supported by"
            + " diana.digital");
  }

  @Test
  void dilation() {
    assertThat(reasons(conv(16, 16, 3, 3, 1, 2, Op.Pads.NONE, 3, Op.Activation.RELU, 0.125f),
        "digital")).singleElement().asString().startsWith("dilation 2x2 not supported");
  }

  @Test
  void padding() {
    assertThat(reasons(conv(16, 16, 3, 3, 1, 1, new Op.Pads(3, 1, 1, 1), 3,
        Op.Activation.RELU, 0.125f), "digital")).singleElement().asString()
        .startsWith("padding [3,1,1,1] not supported by diana.digital");
  }

  @Test
  void activation() {
    assertThat(reasons(conv(16, 16, 3, 3, 1, 1, Op.Pads.NONE, 3, Op.Activation.RELU6,
        0.125f), "digital")).containsExactly(
            "activation relu6 not supported by diana.digital: fuses relu");
  }

  @Test
  void shiftOnlyRequantNeedsPowerOfTwoRatios() {
    assertThat(reasons(conv(16, 16, 3, 3, 1, 1, Op.Pads.NONE, 3, Op.Activation.RELU, 0.1f),
        "digital")).singleElement().asString()
        .contains("in·w/out = 1.25").contains("diana.digital requantizes by shift only");
  }

  @Test
  void analogNeedsTernaryWeightsAndSevenBitInputs() {
    List<String> r = reasons(conv3x3(), "analog");
    assertThat(r).anyMatch(s -> s.startsWith("input bits 8 of %0 exceed diana.analog's 7-bit"));
    assertThat(r).anyMatch(s -> s.contains("weights are int8 (values 3..3) but diana.analog"
        + " takes only ternary") && s.contains("kiln quantize --weights ternary"));
    Graph ternary = conv(16, 16, 3, 3, 1, 1, Op.Pads.NONE, 1, Op.Activation.RELU, 0.125f);
    Layer l = LayerPatterns.match(new GraphIndex(ternary), ternary.nodes().get(0)).layer()
        .orElseThrow();
    var a = DIANA.accelerator("analog").orElseThrow();
    assertThat(Dispatcher.check(l, new DispatchRule.Site("diana", a, a.patterns(l.kind())
        .get(0), true))).isEmpty();
  }

  @Test
  void analogRowsMustHoldCTimesKernel() {
    // C·FY·FX = 256·3·3 = 2304 > 1152 rows, and the analog tiler cannot split C.
    Graph g = conv(16, 256, 3, 3, 1, 1, Op.Pads.NONE, 1, Op.Activation.RELU, 0.125f);
    Layer l = LayerPatterns.match(new GraphIndex(g), g.nodes().get(0)).layer().orElseThrow();
    var a = DIANA.accelerator("analog").orElseThrow();
    assertThat(Dispatcher.check(l, new DispatchRule.Site("diana", a, a.patterns(l.kind())
        .get(0), true))).containsExactly(
            "C·FY·FX = 2304 exceeds the 1152 rows of diana.analog, which cannot split C across"
                + " calls");
  }

  @Test
  void weightsOfOneChannelMustFitTheWeightMemory() {
    // One output channel of 7·7·2048 int8 weights = 100352 bytes > 64 KiB.
    Graph g = conv(16, 2048, 7, 7, 1, 1, Op.Pads.NONE, 3, Op.Activation.RELU, 0.125f);
    assertThat(reasons(g, "digital")).singleElement().asString()
        .isEqualTo("weights of one output channel (100352 bytes) exceed diana.digital's weight"
            + " memory digital.weights of 65536 bytes");
  }

  /** {@link #conv3x3}'s shape with one non-zero weight in every {@code every} along FY·FX·C. */
  static Graph nmConv(int every) {
    Graph dense = conv(16, 16, 3, 3, 1, 1, new Op.Pads(1, 1, 1, 1), 0, Op.Activation.RELU,
        0.125f);
    var w = dense.values().get(1);
    int[] v = new int[w.shape().elements()];
    for (int i = 0; i < v.length; i += every) {
      v[i] = 3;
    }
    var values = new java.util.ArrayList<>(dense.values());
    values.set(1, new io.kiln.ir.Value(1, w.name(), w.type(), ConstData.ofInts(DType.INT8, v)));
    return io.kiln.passes.NmRecognition.apply(new Graph("nm", values, dense.nodes(),
        dense.inputs(), dense.outputs()));
  }

  @Test
  void nmSparseWeightsStayOnTheCpuWithReason() {
    // One non-zero in every group of 4 along FY·FX·C: the 1:4 pattern, recognized as such.
    Graph g = nmConv(4);
    assertThat(g.values().get(1).type().encoding()).isEqualTo(new io.kiln.ir.Encoding.NM(1, 4));
    assertThat(reasons(g, "digital")).contains(
        "1:4 sparse weights not supported by diana.digital: it declares no N:M format");
    DispatchResult d = Dispatcher.dispatch(g, DIANA, Dispatcher.Options.of(Policy.FIRST));
    assertThat(d.layers().get(0).unit()).isEqualTo("host");
  }

  private static List<String> sparseReasons(Graph g, io.kiln.target.Sparsity sp) {
    Layer l = LayerPatterns.match(new GraphIndex(g), g.nodes().get(0)).layer().orElseThrow();
    var a = DIANA.accelerator("digital").orElseThrow().withSparsity(sp);
    return Dispatcher.check(l, new DispatchRule.Site("diana", a, a.patterns(l.kind()).get(0), false));
  }

  @Test
  void nmSparseWeightsRunOnAUnitDeclaringAFormatTheyFollow() {
    var only14 = new io.kiln.target.Sparsity(List.of(new io.kiln.ir.Encoding.NM(1, 4)), 4, true);
    assertThat(sparseReasons(nmConv(4), only14)).isEmpty();
    // 1:16 weights follow 1:4 too: the unit stores them as 1:4.
    Graph sparsest = nmConv(16);
    assertThat(sparsest.values().get(1).type().encoding()).isEqualTo(new io.kiln.ir.Encoding.NM(1, 16));
    assertThat(sparseReasons(sparsest, only14)).isEmpty();
    var only116 = new io.kiln.target.Sparsity(List.of(new io.kiln.ir.Encoding.NM(1, 16)), 4, true);
    assertThat(sparseReasons(nmConv(4), only116)).containsExactly("1:4 sparse weights not supported by"
        + " diana.digital: it declares 1:16, none of which 1:4 weights follow");
  }
  
  @Test
  void depthwiseUnsupportedFallsBackWithReason() {
    GraphBuilder b = new GraphBuilder("dw");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 8, 8, 4), 0.5, 0));
    int w = b.constant("w", TensorType.quantized(DType.INT8, Shape.of(1, 3, 3, 4), 0.25, 0),
        ConstData.ofInts(DType.INT8, new int[36]));
    int y = b.value("y", TensorType.quantized(DType.INT8, Shape.of(1, 8, 8, 4), 0.125, 0));
    b.node(new Op.DepthwiseConv2D(1, 1, 1, 1, new Op.Pads(1, 1, 1, 1), 1, Op.Activation.NONE),
        List.of(x, w), List.of(y));
    b.output(y);
    Graph g = b.build();
    var unsupported = Targets.resolve("dla:dw=unsupported");
    DispatchResult d = Dispatcher.dispatch(g, unsupported, Dispatcher.Options.of(Policy.FIRST));
    assertThat(d.layers().get(0).unit()).isEqualTo("host");
    assertThat(d.reasons()).singleElement().asString().contains(
        "depthwise_conv2d not supported by dla.dla");
    var nativeDw = Targets.resolve("dla:dw=native");
    assertThat(Dispatcher.dispatch(g, nativeDw, Dispatcher.Options.of(Policy.FIRST)).layers()
        .get(0).unit()).isEqualTo("dla");
  }

  @Test
  void policiesChooseAmongAcceptingUnits() {
    Graph ternary = conv(16, 16, 3, 3, 1, 1, Op.Pads.NONE, 1, Op.Activation.RELU, 0.125f);
    assertThat(Dispatcher.dispatch(ternary, DIANA, new Dispatcher.Options(Policy.WEIGHTS, true,
        null)).layers().get(0).unit()).isEqualTo("analog");
    assertThat(Dispatcher.dispatch(ternary, DIANA, new Dispatcher.Options(Policy.DIGITAL, true,
        null)).layers().get(0).unit()).isEqualTo("digital");
    // The only accelerable layer is both first and last: mixed keeps it on digital.
    assertThat(Dispatcher.dispatch(ternary, DIANA, new Dispatcher.Options(Policy.MIXED, true,
        null)).layers().get(0).unit()).isEqualTo("digital");
    assertThat(Dispatcher.dispatch(conv3x3(), DIANA, new Dispatcher.Options(Policy.WEIGHTS,
        true, null)).layers().get(0).unit()).isEqualTo("digital");
  }
}
