package io.kiln.interp;

import static io.kiln.interp.ConvTestSupport.floats;
import static io.kiln.interp.ConvTestSupport.ints;
import static io.kiln.interp.ConvTestSupport.longs;
import static io.kiln.interp.ConvTestSupport.perAxis;
import static io.kiln.interp.ConvTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
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
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Conv2D, DepthwiseConv2D and TransposeConv: hand-computed outputs, clean errors for combinations
 * TFLite Micro does not run, and seeded random geometries checked against a second, independent
 * integer formulation (explicitly zero-point-padded input, gather-style transpose conv) and
 * against real-valued arithmetic within one LSB.
 */
class ConvKernelsTest {

  // ---- hand-computed ----------------------------------------------------------------------

  /** 3x3 input, 2x2 filter: acc * 0.125 + 3 with input zero point -1 and a bias of 10. */
  private static Graph smallConv(Activation act) {
    GraphBuilder b = new GraphBuilder("conv");
    int in = b.input("in", q(DType.INT8, Shape.of(1, 3, 3, 1), 0.5, -1));
    int w = ints(b, "w", q(DType.INT8, Shape.of(1, 2, 2, 1), 0.25, 0), 1, 2, 3, 4);
    int bias = ints(b, "b", q(DType.INT32, Shape.of(1), 0.125, 0), 10);
    int out = b.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, act), List.of(in, w, bias), "out",
        DType.INT8, Quantization.perTensor(1.0, 3));
    b.output(out);
    return b.build();
  }

  @Test
  void int8ConvHandComputed() {
    Tensor x = Tensor.ofInts(DType.INT8, Shape.of(1, 3, 3, 1), new int[] {1, 2, 3, 4, 5, 6, 7,
        8, 9});
    // (q+1) windows dotted with [1,2,3,4], plus 10: 57, 67, 87, 97; times 0.125, plus 3.
    // 67 * 0.125 = 8.375 becomes 9, not 8: TFLite rounds twice (67 / 2 = 33.5 -> 34, then
    // 34 / 4 = 8.5 -> 9).
    assertThat(ConvTestSupport.run(smallConv(Activation.NONE), x).ints)
        .containsExactly(10, 12, 14, 15);
    // RELU6 at scale 1 and zero point 3 clamps to [3, 9].
    assertThat(ConvTestSupport.run(smallConv(Activation.RELU6), x).ints)
        .containsExactly(9, 9, 9, 9);
    Tensor neg = Tensor.ofInts(DType.INT8, Shape.of(1, 3, 3, 1), new int[] {-128, -128, -128,
        -128, -128, -128, -128, -128, -128});
    // All (q+1) = -127: -127 * 10 + 10 = -1260 -> -157.5 -> -158 + 3 saturates at -128; RELU: 3.
    assertThat(ConvTestSupport.run(smallConv(Activation.NONE), neg).ints)
        .containsOnly(-128);
    assertThat(ConvTestSupport.run(smallConv(Activation.RELU), neg).ints).containsOnly(3);
  }

  @Test
  void int8ConvPerChannelWithStridePaddingAndNoBias() {
    GraphBuilder b = new GraphBuilder("conv");
    int in = b.input("in", q(DType.INT8, Shape.of(1, 2, 2, 1), 1.0, 0));
    // Two output channels of a 1x1 filter with weight scales 1 and 0.5.
    int w = ints(b, "w", perAxis(DType.INT8, Shape.of(2, 1, 1, 1), 0, new float[] {1f, 0.5f}),
        3, 5);
    int out = b.apply(new Op.Conv2D(2, 2, 1, 1, new Pads(1, 1, 0, 0), Activation.NONE),
        List.of(in, w, Node.ABSENT), "out", DType.INT8, Quantization.perTensor(1.0, 0));
    b.output(out);
    Tensor x = Tensor.ofInts(DType.INT8, Shape.of(1, 2, 2, 1), new int[] {7, 1, 1, 9});
    // Output 2x2 samples input (-1,-1) (padding: 0), (-1,1) (0), (1,-1) (0) and (1,1) = 9;
    // channel 0: 9 * 3 = 27, channel 1: 9 * 5 * 0.5 = 22.5 -> 23.
    assertThat(ConvTestSupport.run(b.build(), x).ints)
        .containsExactly(0, 0, 0, 0, 0, 0, 27, 23);
  }

  @Test
  void int16x8ConvUsesInt64BiasAndSaturatesAtInt16() {
    for (long bias : new long[] {10_000, 30_000}) {
      GraphBuilder b = new GraphBuilder("conv16");
      int in = b.input("in", q(DType.INT16, Shape.of(1, 1, 2, 2), 0.5, 0));
      int w = ints(b, "w", q(DType.INT8, Shape.of(1, 1, 1, 2), 0.5, 0), 2, -3);
      int bi = longs(b, "b", q(DType.INT64, Shape.of(1), 0.25, 0), bias);
      int out = b.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.NONE),
          List.of(in, w, bi), "out", DType.INT16, Quantization.perTensor(0.25, 0));
      b.output(out);
      Tensor x = Tensor.ofInts(DType.INT16, Shape.of(1, 1, 2, 2),
          new int[] {1000, -2000, 3000, 4000});
      // Effective scale 1: 8000 + bias and -6000 + bias.
      int[] expected = bias == 10_000 ? new int[] {18_000, 4_000} : new int[] {32767, 24_000};
      assertThat(ConvTestSupport.run(b.build(), x).ints).containsExactly(expected);
    }
  }

  @Test
  void depthwiseWithDepthMultiplierHandComputed() {
    GraphBuilder b = new GraphBuilder("dw");
    int in = b.input("in", q(DType.INT8, Shape.of(1, 2, 2, 2), 1.0, 0));
    int w = ints(b, "w", q(DType.INT8, Shape.of(1, 1, 1, 4), 1.0, 0), 1, 2, 3, 4);
    int out = b.apply(new Op.DepthwiseConv2D(1, 1, 1, 1, Pads.NONE, 2, Activation.NONE),
        List.of(in, w), "out", DType.INT8, Quantization.perTensor(1.0, 0));
    b.output(out);
    Tensor x = Tensor.ofInts(DType.INT8, Shape.of(1, 2, 2, 2), new int[] {1, 2, 3, 4, 5, 6, 7,
        8});
    // Output channel m + c * 2 reads input channel c: [a, 2a, 3b, 4b] per pixel.
    assertThat(ConvTestSupport.run(b.build(), x).ints).containsExactly(1, 2, 6, 8, 3, 6, 12,
        16, 5, 10, 18, 24, 7, 14, 24, 32);
  }

  @Test
  void transposeConvHandComputedInt8AndFloat() {
    for (int stride : new int[] {1, 2}) {
      int size = stride == 1 ? 3 : 4;
      Op.TransposeConv op = new Op.TransposeConv(stride, stride, Pads.NONE,
          Shape.of(1, size, size, 1), Activation.NONE);
      int[] expected = stride == 1
          ? new int[] {1, 3, 2, 4, 10, 6, 3, 7, 4}
          : new int[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};

      GraphBuilder b = new GraphBuilder("tc");
      int in = b.input("in", q(DType.INT8, Shape.of(1, 2, 2, 1), 1.0, 0));
      int w = ints(b, "w", q(DType.INT8, Shape.of(1, 2, 2, 1), 1.0, 0), 1, 1, 1, 1);
      b.output(b.apply(op, List.of(in, w), "out", DType.INT8, Quantization.perTensor(1.0, 0)));
      assertThat(ConvTestSupport.run(b.build(), Tensor.ofInts(DType.INT8, Shape.of(1, 2, 2, 1),
          new int[] {1, 2, 3, 4})).ints).containsExactly(expected);

      GraphBuilder fb = new GraphBuilder("tcf");
      int fin = fb.input("in", TensorType.of(DType.FLOAT32, 1, 2, 2, 1));
      int fw = floats(fb, "w", TensorType.of(DType.FLOAT32, 1, 2, 2, 1), 1f, 1f, 1f, 1f);
      int fbias = floats(fb, "b", TensorType.of(DType.FLOAT32, 1), 0.5f);
      fb.output(fb.apply(op, List.of(fin, fw, fbias), "out", DType.FLOAT32, Quantization.NONE));
      float[] got = ConvTestSupport.run(fb.build(), Tensor.ofFloats(Shape.of(1, 2, 2, 1),
          new float[] {1, 2, 3, 4})).floats;
      for (int i = 0; i < expected.length; i++) {
        assertThat(got[i]).isEqualTo(expected[i] + 0.5f);
      }
    }
  }

  @Test
  void floatConvWithDilationAndRelu() {
    GraphBuilder b = new GraphBuilder("fconv");
    int in = b.input("in", TensorType.of(DType.FLOAT32, 1, 1, 5, 1));
    int w = floats(b, "w", TensorType.of(DType.FLOAT32, 1, 1, 2, 1), 1f, -1f);
    int out = b.apply(new Op.Conv2D(1, 1, 1, 2, Pads.NONE, Activation.RELU), List.of(in, w),
        "out", DType.FLOAT32, Quantization.NONE);
    b.output(out);
    // x[i] - x[i + 2]: 1-3, 2-5, 3-4 -> RELU.
    float[] got = ConvTestSupport.run(b.build(), Tensor.ofFloats(Shape.of(1, 1, 5, 1),
        new float[] {1, 2, 3, 5, 4})).floats;
    assertThat(got).containsExactly(0f, 0f, 0f);
    got = ConvTestSupport.run(b.build(), Tensor.ofFloats(Shape.of(1, 1, 5, 1),
        new float[] {4, 6, 1, 2, 0.5f})).floats;
    assertThat(got).containsExactly(3f, 4f, 0.5f);
  }

  // ---- negative ---------------------------------------------------------------------------

  @Test
  void hybridFloatActivationsWithInt8WeightsAreRejected() {
    GraphBuilder b = new GraphBuilder("hybrid");
    int in = b.input("in", TensorType.of(DType.FLOAT32, 1, 2, 2, 1));
    int w = ints(b, "w", q(DType.INT8, Shape.of(1, 1, 1, 1), 0.1, 0), 3);
    b.output(b.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.NONE), List.of(in, w),
        "out", DType.FLOAT32, Quantization.NONE));
    assertThatThrownBy(() -> new Interpreter(b.build())).isInstanceOf(KilnException.class)
        .hasMessageContaining("hybrid").hasMessageNotContaining("\n");
  }

  @Test
  void int16DepthwiseWithInt32BiasIsRejected() {
    GraphBuilder b = new GraphBuilder("dw16");
    int in = b.input("in", q(DType.INT16, Shape.of(1, 2, 2, 1), 0.5, 0));
    int w = ints(b, "w", q(DType.INT8, Shape.of(1, 1, 1, 1), 0.5, 0), 3);
    int bias = ints(b, "b", q(DType.INT32, Shape.of(1), 0.25, 0), 1);
    b.output(b.apply(new Op.DepthwiseConv2D(1, 1, 1, 1, Pads.NONE, 1, Activation.NONE),
        List.of(in, w, bias), "out", DType.INT16, Quantization.perTensor(0.5, 0)));
    assertThatThrownBy(() -> new Interpreter(b.build())).isInstanceOf(KilnException.class)
        .hasMessageContaining("DepthwiseConv2D").hasMessageContaining("i32 bias");
  }

  @Test
  void fusedTanhAndAsymmetricWeightsAreRejected() {
    GraphBuilder b = new GraphBuilder("tanh");
    int in = b.input("in", q(DType.INT8, Shape.of(1, 2, 2, 1), 0.5, 0));
    int w = ints(b, "w", q(DType.INT8, Shape.of(1, 1, 1, 1), 0.5, 0), 3);
    b.output(b.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.TANH), List.of(in, w),
        "out", DType.INT8, Quantization.perTensor(0.5, 0)));
    assertThatThrownBy(() -> new Interpreter(b.build())).isInstanceOf(KilnException.class)
        .hasMessageContaining("fused activation TANH");

    GraphBuilder a = new GraphBuilder("asym");
    int ain = a.input("in", q(DType.INT8, Shape.of(1, 2, 2, 1), 0.5, 0));
    int aw = ints(a, "w", q(DType.INT8, Shape.of(1, 1, 1, 1), 0.5, 4), 3);
    a.output(a.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.NONE), List.of(ain, aw),
        "out", DType.INT8, Quantization.perTensor(0.5, 0)));
    assertThatThrownBy(() -> new Interpreter(a.build())).isInstanceOf(KilnException.class)
        .hasMessageContaining("weight zero point 4");
  }

  @Test
  void transposeConvRejectsInt32BiasFor16x8AndAWrongRuntimeShape() {
    Op.TransposeConv op = new Op.TransposeConv(1, 1, Pads.NONE, Shape.of(1, 3, 3, 1),
        Activation.NONE);
    GraphBuilder b = new GraphBuilder("tc16");
    int in = b.input("in", q(DType.INT16, Shape.of(1, 2, 2, 1), 0.5, 0));
    int w = ints(b, "w", q(DType.INT8, Shape.of(1, 2, 2, 1), 0.5, 0), 1, 1, 1, 1);
    int bias = ints(b, "b", q(DType.INT32, Shape.of(1), 0.25, 0), 1);
    b.output(b.apply(op, List.of(in, w, bias), "out", DType.INT16,
        Quantization.perTensor(0.5, 0)));
    assertThatThrownBy(() -> new Interpreter(b.build())).isInstanceOf(KilnException.class)
        .hasMessageContaining("i32 bias");

    GraphBuilder s = new GraphBuilder("tcshape");
    int shape = s.input("shape", TensorType.of(DType.INT32, 4));
    int sin = s.input("in", q(DType.INT8, Shape.of(1, 2, 2, 1), 1.0, 0));
    int sw = ints(s, "w", q(DType.INT8, Shape.of(1, 2, 2, 1), 1.0, 0), 1, 1, 1, 1);
    s.output(s.apply(op, List.of(sin, sw, Node.ABSENT, shape), "out", DType.INT8,
        Quantization.perTensor(1.0, 0)));
    Interpreter interp = new Interpreter(s.build());
    Tensor x = Tensor.ofInts(DType.INT8, Shape.of(1, 2, 2, 1), new int[] {1, 2, 3, 4});
    assertThat(interp.run(List.of(Tensor.ofInts(DType.INT32, Shape.of(4),
        new int[] {1, 3, 3, 1}), x)).get(0).ints).containsExactly(1, 3, 2, 4, 10, 6, 3, 7, 4);
    assertThatThrownBy(() -> interp.run(List.of(Tensor.ofInts(DType.INT32, Shape.of(4),
        new int[] {1, 4, 4, 1}), x))).isInstanceOf(KilnException.class)
        .hasMessageContaining("runtime output shape [1, 4, 4, 1]");
  }

  // ---- seeded random geometries -------------------------------------------------------------

  /** One random convolution problem; {@code kind} is 0 conv, 1 depthwise, 2 transpose conv. */
  private record Problem(int kind, boolean int16, int n, int h, int w, int cin, int cout,
      int groups, int mult, int kh, int kw, int sh, int sw, int dh, int dw, Pads pads,
      Activation act, float inScale, int inZp, float[] wScales, float outScale, int outZp,
      int[] input, int[] filter, long[] bias, int outH, int outW) {}

  private static final Activation[] ACTS = {Activation.NONE, Activation.RELU, Activation.RELU6,
      Activation.RELU_N1_TO_1};

  private static Problem randomProblem(Random r, int kind, boolean int16) {
    while (true) {
      int n = 1 + r.nextInt(2);
      int h = 1 + r.nextInt(7);
      int w = 1 + r.nextInt(7);
      int kh = 1 + r.nextInt(4);
      int kw = 1 + r.nextInt(4);
      int sh = 1 + r.nextInt(3);
      int sw = 1 + r.nextInt(3);
      int dh = kind == 2 ? 1 : 1 + r.nextInt(3);
      int dw = kind == 2 ? 1 : 1 + r.nextInt(3);
      Pads pads = new Pads(r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3));
      int groups = kind == 0 && r.nextInt(4) == 0 ? 2 : 1;
      int cin = groups * (1 + r.nextInt(4));
      int mult = kind == 1 ? 1 + r.nextInt(3) : 1;
      int cout = kind == 1 ? cin * mult : groups * (1 + r.nextInt(4));
      int outH;
      int outW;
      if (kind == 2) {
        // Transpose conv: any output size whose last input lands inside it works.
        outH = Math.max(1, (h - 1) * sh + kh - pads.top() - pads.bottom());
        outW = Math.max(1, (w - 1) * sw + kw - pads.left() - pads.right());
      } else {
        long spanH = (long) h + pads.top() + pads.bottom() - ((long) (kh - 1) * dh + 1);
        long spanW = (long) w + pads.left() + pads.right() - ((long) (kw - 1) * dw + 1);
        if (spanH < 0 || spanW < 0) {
          continue;
        }
        outH = (int) (spanH / sh + 1);
        outW = (int) (spanW / sw + 1);
      }
      int perChannel = kind == 1 ? cout : cout;
      float[] wScales = new float[r.nextBoolean() ? perChannel : 1];
      for (int i = 0; i < wScales.length; i++) {
        wScales[i] = (float) (0.002 + 0.05 * r.nextDouble());
      }
      float inScale = (float) (0.01 + 0.2 * r.nextDouble());
      float outScale = (float) (0.02 + 0.5 * r.nextDouble());
      int inZp = int16 ? 0 : r.nextInt(256) - 128;
      int outZp = int16 ? 0 : r.nextInt(256) - 128;
      int filterDepth = kind == 1 ? 1 : cin / groups;
      int filterCount = kind == 1 ? kh * kw * cout : cout * kh * kw * filterDepth;
      int inLo = int16 ? -32768 : -128;
      int inHi = int16 ? 32767 : 127;
      int[] input = ConvTestSupport.randomInts(r, n * h * w * cin, inLo, inHi);
      int[] filter = ConvTestSupport.randomInts(r, filterCount, -127, 127);
      long[] bias = null;
      if (r.nextInt(4) != 0) {
        bias = new long[cout];
        for (int i = 0; i < cout; i++) {
          bias[i] = r.nextInt(int16 ? 2_000_001 : 20_001) - (int16 ? 1_000_000 : 10_000);
        }
      }
      return new Problem(kind, int16, n, h, w, cin, cout, groups, mult, kh, kw, sh, sw, dh, dw,
          pads, ACTS[r.nextInt(ACTS.length)], inScale, inZp, wScales, outScale, outZp, input,
          filter, bias, outH, outW);
    }
  }

  private static Graph graphOf(Problem p) {
    DType act = p.int16() ? DType.INT16 : DType.INT8;
    GraphBuilder b = new GraphBuilder("rand");
    int in = b.input("in", q(act, Shape.of(p.n(), p.h(), p.w(), p.cin()), p.inScale(),
        p.inZp()));
    Shape fShape = switch (p.kind()) {
      case 0 -> Shape.of(p.cout(), p.kh(), p.kw(), p.cin() / p.groups());
      case 1 -> Shape.of(1, p.kh(), p.kw(), p.cout());
      default -> Shape.of(p.cout(), p.kh(), p.kw(), p.cin());
    };
    int axis = p.kind() == 1 ? 3 : 0;
    TensorType fType = p.wScales().length == 1
        ? q(DType.INT8, fShape, p.wScales()[0], 0)
        : perAxis(DType.INT8, fShape, axis, p.wScales());
    int f = ints(b, "w", fType, p.filter());
    int bias = Node.ABSENT;
    if (p.bias() != null) {
      if (p.int16()) {
        bias = longs(b, "b", TensorType.of(DType.INT64, p.cout()), p.bias());
      } else {
        int[] bi = new int[p.cout()];
        for (int i = 0; i < bi.length; i++) {
          bi[i] = (int) p.bias()[i];
        }
        bias = ints(b, "b", TensorType.of(DType.INT32, p.cout()), bi);
      }
    }
    Op op = switch (p.kind()) {
      case 0 -> new Op.Conv2D(p.sh(), p.sw(), p.dh(), p.dw(), p.pads(), p.act());
      case 1 -> new Op.DepthwiseConv2D(p.sh(), p.sw(), p.dh(), p.dw(), p.pads(), p.mult(),
          p.act());
      default -> new Op.TransposeConv(p.sh(), p.sw(), p.pads(),
          Shape.of(p.n(), p.outH(), p.outW(), p.cout()), p.act());
    };
    b.output(b.apply(op, List.of(in, f, bias), "out", act,
        Quantization.perTensor(p.outScale(), p.outZp())));
    return b.build();
  }

  /** Weight index and input channel feeding output channel oc at filter tap (fy, fx, k). */
  private static int filterIndex(Problem p, int oc, int fy, int fx, int k) {
    return switch (p.kind()) {
      case 0 -> ((oc * p.kh() + fy) * p.kw() + fx) * (p.cin() / p.groups()) + k;
      case 1 -> (fy * p.kw() + fx) * p.cout() + oc;
      default -> ((oc * p.kh() + fy) * p.kw() + fx) * p.cin() + k;
    };
  }

  private static int inputChannel(Problem p, int oc, int k) {
    return switch (p.kind()) {
      case 0 -> oc / (p.cout() / p.groups()) * (p.cin() / p.groups()) + k;
      case 1 -> oc / p.mult();
      default -> k;
    };
  }

  private static int tapDepth(Problem p) {
    return switch (p.kind()) {
      case 0 -> p.cin() / p.groups();
      case 1 -> 1;
      default -> p.cin();
    };
  }

  /**
   * The second formulation: the input is padded explicitly with its zero point (so padding adds
   * exactly 0), and every output gathers its taps; for transpose conv an output (oy, ox) takes
   * input (iy, ix) through tap (fy, fx) when iy * stride - pad + fy == oy.
   * Returns the raw accumulators (bias included) and the real-valued results.
   */
  private static long[] referenceAccumulators(Problem p, double[] real) {
    int ph = p.h() + p.pads().top() + p.pads().bottom();
    int pw = p.w() + p.pads().left() + p.pads().right();
    int[] padded = new int[p.n() * ph * pw * p.cin()];
    java.util.Arrays.fill(padded, p.inZp());
    for (int b = 0; b < p.n(); b++) {
      for (int y = 0; y < p.h(); y++) {
        for (int x = 0; x < p.w(); x++) {
          for (int c = 0; c < p.cin(); c++) {
            padded[((b * ph + y + p.pads().top()) * pw + x + p.pads().left()) * p.cin() + c] =
                p.input()[((b * p.h() + y) * p.w() + x) * p.cin() + c];
          }
        }
      }
    }
    long[] acc = new long[p.n() * p.outH() * p.outW() * p.cout()];
    int i = 0;
    for (int b = 0; b < p.n(); b++) {
      for (int oy = 0; oy < p.outH(); oy++) {
        for (int ox = 0; ox < p.outW(); ox++) {
          for (int oc = 0; oc < p.cout(); oc++) {
            long sum = 0;
            double realSum = 0;
            double wScale = p.wScales()[p.wScales().length == 1 ? 0 : oc];
            for (int fy = 0; fy < p.kh(); fy++) {
              for (int fx = 0; fx < p.kw(); fx++) {
                int py;
                int px;
                if (p.kind() == 2) {
                  int ny = oy + p.pads().top() - fy;
                  int nx = ox + p.pads().left() - fx;
                  if (ny < 0 || nx < 0 || ny % p.sh() != 0 || nx % p.sw() != 0
                      || ny / p.sh() >= p.h() || nx / p.sw() >= p.w()) {
                    continue;
                  }
                  py = ny / p.sh() + p.pads().top();
                  px = nx / p.sw() + p.pads().left();
                } else {
                  py = oy * p.sh() + fy * p.dh();
                  px = ox * p.sw() + fx * p.dw();
                }
                for (int k = 0; k < tapDepth(p); k++) {
                  int v = padded[((b * ph + py) * pw + px) * p.cin() + inputChannel(p, oc, k)]
                      - p.inZp();
                  int wt = p.filter()[filterIndex(p, oc, fy, fx, k)];
                  sum += (long) v * wt;
                  realSum += (p.inScale() * (double) v) * (wScale * wt);
                }
              }
            }
            if (p.bias() != null) {
              sum += p.bias()[oc];
              realSum += p.bias()[oc] * (double) p.inScale() * wScale;
            }
            acc[i] = sum;
            real[i] = realSum / p.outScale() + p.outZp();
            i++;
          }
        }
      }
    }
    return acc;
  }

  private static void checkAgainstReferences(Problem p, int caseNo) {
    Graph g = graphOf(p);
    DType act = p.int16() ? DType.INT16 : DType.INT8;
    Tensor out = ConvTestSupport.run(g, Tensor.ofInts(act, Shape.of(p.n(), p.h(), p.w(),
        p.cin()), p.input()));
    double[] real = new double[out.elements()];
    long[] acc = referenceAccumulators(p, real);
    int qmin = p.int16() ? -32768 : -128;
    int qmax = p.int16() ? 32767 : 127;
    int lo = qmin;
    int hi = qmax;
    switch (p.act()) {
      case RELU -> lo = Math.max(qmin, p.outZp());
      case RELU6 -> {
        lo = Math.max(qmin, p.outZp());
        hi = Math.min(qmax, p.outZp() + (int) FixedPoint.roundHalfAway(6f / p.outScale()));
      }
      case RELU_N1_TO_1 -> {
        lo = Math.max(qmin, p.outZp() + (int) FixedPoint.roundHalfAway(-1f / p.outScale()));
        hi = Math.min(qmax, p.outZp() + (int) FixedPoint.roundHalfAway(1f / p.outScale()));
      }
      default -> { }
    }
    for (int i = 0; i < acc.length; i++) {
      int oc = i % p.cout();
      double wScale = p.wScales()[p.wScales().length == 1 ? 0 : oc];
      QuantizedMultiplier m = FixedPoint.quantizeMultiplier(
          (double) p.inScale() * wScale / (double) p.outScale());
      int scaled = p.int16()
          ? FixedPoint.multiplyByQuantizedMultiplier(acc[i], m.multiplier(), m.shift())
          : FixedPoint.multiplyByQuantizedMultiplier(Math.toIntExact(acc[i]), m.multiplier(),
              m.shift());
      int expected = Math.max(lo, Math.min(hi, scaled + p.outZp()));
      assertThat(out.ints[i]).as("case %d (%s) element %d", caseNo, p.kind(), i)
          .isEqualTo(expected);
      double clampedReal = Math.max(lo, Math.min(hi, real[i]));
      // One LSB of double rounding; 16x8 adds up to one more from its 15-bit multiplier.
      assertThat(Math.abs(out.ints[i] - clampedReal)).as("case %d element %d vs real %s",
          caseNo, i, real[i]).isLessThanOrEqualTo(p.int16() ? 1.5 : 1.0);
    }
  }

  @Test
  void randomInt8ConvolutionsMatchIndependentFormulation() {
    Random r = new Random(1122L);
    for (int c = 0; c < 300; c++) {
      checkAgainstReferences(randomProblem(r, 0, false), c);
    }
  }

  @Test
  void randomInt8DepthwiseMatchIndependentFormulation() {
    Random r = new Random(2233L);
    for (int c = 0; c < 300; c++) {
      checkAgainstReferences(randomProblem(r, 1, false), c);
    }
  }

  @Test
  void randomInt8TransposeConvolutionsMatchIndependentFormulation() {
    Random r = new Random(3344L);
    for (int c = 0; c < 300; c++) {
      checkAgainstReferences(randomProblem(r, 2, false), c);
    }
  }

  @Test
  void random16x8KernelsMatchIndependentFormulation() {
    Random r = new Random(4455L);
    for (int c = 0; c < 300; c++) {
      checkAgainstReferences(randomProblem(r, c % 3, true), c);
    }
  }
}
