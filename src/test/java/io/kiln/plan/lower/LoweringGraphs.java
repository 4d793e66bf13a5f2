package io.kiln.plan.lower;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Verifier;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Small int8 networks for lowering tests, with asymmetric activations (zero points), random
 * int8 or ternary weights, nonzero biases and power-of-two scales (or not, on request), so every
 * rewrite has something to do.
 */
final class LoweringGraphs {
  private final GraphBuilder b = new GraphBuilder("lower");
  private final SplittableRandom rng;
  private final boolean ternary;
  private int names;

  LoweringGraphs(long seed, boolean ternaryWeights) {
    rng = new SplittableRandom(seed);
    ternary = ternaryWeights;
  }

  int input(int h, int w, int c, double scale, long zp) {
    return b.input("x" + names++, TensorType.quantized(DType.INT8, Shape.of(1, h, w, c), scale,
        zp));
  }

  private int weights(Shape s, int channels, double wScale, boolean channelLast) {
    int[] w = new int[s.elements()];
    for (int i = 0; i < w.length; i++) {
      w[i] = ternary ? rng.nextInt(3) - 1 : rng.nextInt(255) - 127;
    }
    float[] ws = new float[channels];
    for (int c = 0; c < channels; c++) {
      // Per-channel power-of-two scales (times the base), like 'kiln quantize --scales pow2'.
      ws[c] = (float) (wScale * (1 << (c % 2)));
    }
    return b.constant("w" + names++, new TensorType(DType.INT8, s,
        new Quantization.PerAxis(channelLast ? 3 : 0, ws, new long[channels])),
        ConstData.ofInts(DType.INT8, w));
  }

  private int bias(int channels, double accScale, int weightsId) {
    int[] q = new int[channels];
    float[] bs = new float[channels];
    Quantization.PerAxis wq = (Quantization.PerAxis) b.type(weightsId).quant();
    for (int c = 0; c < channels; c++) {
      q[c] = rng.nextInt(4001) - 2000;
      bs[c] = (float) (accScale * wq.scale(c));
    }
    return b.constant("b" + names++, new TensorType(DType.INT32, Shape.of(channels),
        new Quantization.PerAxis(0, bs, new long[channels])), ConstData.ofInts(DType.INT32, q));
  }

  private double scale(int v) {
    return b.type(v).quant().scale();
  }

  int conv(int x, int k, int f, int stride, double wScale, double outScale, long outZp,
      Op.Activation act) {
    int c = b.type(x).shape().dim(3);
    int w = weights(Shape.of(k, f, f, c), k, wScale, false);
    int bias = bias(k, scale(x), w);
    int pad = f / 2;
    return b.apply(new Op.Conv2D(stride, stride, 1, 1, new Op.Pads(pad, pad, pad, pad), act),
        List.of(x, w, bias), "conv" + names++, DType.INT8,
        new Quantization.PerTensor((float) outScale, outZp));
  }

  int depthwise(int x, int f, double wScale, double outScale, long outZp, Op.Activation act) {
    int c = b.type(x).shape().dim(3);
    int w = weights(Shape.of(1, f, f, c), c, wScale, true);
    int bias = bias(c, scale(x), w);
    int pad = f / 2;
    return b.apply(new Op.DepthwiseConv2D(1, 1, 1, 1, new Op.Pads(pad, pad, pad, pad), 1, act),
        List.of(x, w, bias), "dw" + names++, DType.INT8,
        new Quantization.PerTensor((float) outScale, outZp));
  }

  int add(int lhs, int rhs, double outScale, long outZp, Op.Activation act) {
    return b.apply(new Op.Add(act), List.of(lhs, rhs), "add" + names++, DType.INT8,
        new Quantization.PerTensor((float) outScale, outZp));
  }

  int averagePool(int x, int f) {
    return b.apply(new Op.AveragePool2D(f, f, f, f, Op.Pads.NONE, Op.Activation.NONE),
        List.of(x), "avg" + names++, DType.INT8, b.type(x).quant());
  }

  int flatten(int x) {
    Shape s = b.type(x).shape();
    return b.apply(new Op.Reshape(Shape.of(1, s.elements())), List.of(x), "flat" + names++,
        DType.INT8, b.type(x).quant());
  }

  int fullyConnected(int x, int k, double wScale, double outScale, long outZp) {
    int in = b.type(x).shape().dim(1);
    int w = weights(Shape.of(k, in), k, wScale, false);
    int bias = bias(k, scale(x), w);
    return b.apply(new Op.FullyConnected(Op.Activation.NONE, false), List.of(x, w, bias),
        "fc" + names++, DType.INT8, new Quantization.PerTensor((float) outScale, outZp));
  }

  Graph build(int out) {
    b.output(out);
    return Verifier.verify(b.build());
  }

  /**
   * conv 3x3 (relu) → depthwise 3x3 (relu) → conv 1x1 → residual Add with the first conv's
   * output (relu) → 2x2 average pool → flatten → fully connected: every operator a DIANA unit
   * runs, with power-of-two ratios when {@code pow2}.
   */
  static Graph network(long seed, boolean ternary, boolean pow2) {
    LoweringGraphs g = new LoweringGraphs(seed, ternary);
    double odd = pow2 ? 1 : 0.8;
    int x = g.input(8, 8, 8, 1.0 / 64, -128);
    int c1 = g.conv(x, 16, 3, 1, 1.0 / 128 * odd, 1.0 / 32, -128, Op.Activation.RELU);
    int dw = g.depthwise(c1, 3, 1.0 / 64, 1.0 / 32, -128, Op.Activation.RELU);
    int c2 = g.conv(dw, 16, 1, 1, 1.0 / 128, 1.0 / 16, 3, Op.Activation.NONE);
    int sum = g.add(c2, c1, 1.0 / 16, -128, Op.Activation.RELU);
    int pool = g.averagePool(sum, 2);
    int flat = g.flatten(pool);
    return g.build(g.fullyConnected(flat, 10, 1.0 / 256, 1.0 / 8, 5));
  }
}
