package io.kiln.testing;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Small int8 graphs for dispatch and planning tests: convolutions with ternary-valued weights
 * (so every unit's weight rules can pass) and chosen scales, element-wise operators, activations
 * and poolings, each a line. Values are ids of the graph being built.
 */
public final class PlanGraphs {
  private final GraphBuilder b = new GraphBuilder("t");
  private final Random random;
  private int names;

  public PlanGraphs(long seed) {
    random = new Random(seed);
  }

  /** An int8 image input [1, h, w, c] with scale {@code scale}, zero point 0. */
  public int input(int h, int w, int c, double scale) {
    return b.input("in" + names++, TensorType.quantized(DType.INT8, Shape.of(1, h, w, c), scale, 0));
  }

  /** An int8 input of any shape. */
  public int input(Shape shape, double scale) {
    return b.input("in" + names++, TensorType.quantized(DType.INT8, shape, scale, 0));
  }

  /**
   * A k-channel f×f conv of {@code x} with SAME-like symmetric padding {@code pad}, weights in
   * {-1, 0, +1} at per-channel scale {@code wScale}, an int32 bias, output scale {@code outScale}.
   */
  public int conv(int x, int k, int f, int stride, int pad, double wScale, double outScale, Op.Activation act) {
    int c = b.type(x).shape().dims()[3];
    int[] w = new int[k * f * f * c];
    for (int i = 0; i < w.length; i++) {
      w[i] = random.nextInt(3) - 1;
    }
    float[] ws = new float[k];
    Arrays.fill(ws, (float) wScale);
    int wid = b.constant("w" + names++, new TensorType(DType.INT8, Shape.of(k, f, f, c),
        new Quantization.PerAxis(0, ws, new long[k])), ConstData.ofInts(DType.INT8, w));
    float[] bs = new float[k];
    Arrays.fill(bs, (float) (wScale * scaleOf(x)));
    int bid = b.constant("b" + names++, new TensorType(DType.INT32, Shape.of(k),
        new Quantization.PerAxis(0, bs, new long[k])), ConstData.ofInts(DType.INT32, new int[k]));
    return b.apply(new Op.Conv2D(stride, stride, 1, 1, new Op.Pads(pad, pad, pad, pad), act), List.of(x, wid, bid),
        "conv" + names++, DType.INT8, new Quantization.PerTensor((float) outScale, 0));
  }

  /** A depthwise f×f conv of {@code x} (multiplier 1), weights in {-1, 0, +1}, as {@link #conv}. */
  public int depthwise(int x, int f, int stride, int pad, double wScale, double outScale, Op.Activation act) {
    int c = b.type(x).shape().dims()[3];
    int[] w = new int[f * f * c];
    for (int i = 0; i < w.length; i++) {
      w[i] = random.nextInt(3) - 1;
    }
    float[] ws = new float[c];
    Arrays.fill(ws, (float) wScale);
    int wid = b.constant("w" + names++, new TensorType(DType.INT8, Shape.of(1, f, f, c),
        new Quantization.PerAxis(3, ws, new long[c])), ConstData.ofInts(DType.INT8, w));
    float[] bs = new float[c];
    Arrays.fill(bs, (float) (wScale * scaleOf(x)));
    int bid = b.constant("b" + names++, new TensorType(DType.INT32, Shape.of(c),
        new Quantization.PerAxis(0, bs, new long[c])), ConstData.ofInts(DType.INT32, new int[c]));
    return b.apply(new Op.DepthwiseConv2D(stride, stride, 1, 1, new Op.Pads(pad, pad, pad, pad), 1, act),
        List.of(x, wid, bid), "dw" + names++, DType.INT8, new Quantization.PerTensor((float) outScale, 0));
  }

  /** A fully-connected layer of {@code k} outputs over a [1, c] input, weights as {@link #conv}. */
  public int fc(int x, int k, double wScale, double outScale, Op.Activation act) {
    int c = b.type(x).shape().dims()[1];
    int[] w = new int[k * c];
    for (int i = 0; i < w.length; i++) {
      w[i] = random.nextInt(3) - 1;
    }
    float[] ws = new float[k];
    Arrays.fill(ws, (float) wScale);
    int wid = b.constant("w" + names++, new TensorType(DType.INT8, Shape.of(k, c),
        new Quantization.PerAxis(0, ws, new long[k])), ConstData.ofInts(DType.INT8, w));
    float[] bs = new float[k];
    Arrays.fill(bs, (float) (wScale * scaleOf(x)));
    int bid = b.constant("b" + names++, new TensorType(DType.INT32, Shape.of(k),
        new Quantization.PerAxis(0, bs, new long[k])), ConstData.ofInts(DType.INT32, new int[k]));
    return b.apply(new Op.FullyConnected(act, false), List.of(x, wid, bid), "fc" + names++, DType.INT8,
        new Quantization.PerTensor((float) outScale, 0));
  }

  public int add(int lhs, int rhs, double outScale, Op.Activation act) {
    return b.apply(new Op.Add(act), List.of(lhs, rhs), "add" + names++, DType.INT8,
        new Quantization.PerTensor((float) outScale, 0));
  }

  public int mul(int lhs, int rhs, double outScale, Op.Activation act) {
    return b.apply(new Op.Mul(act), List.of(lhs, rhs), "mul" + names++, DType.INT8,
        new Quantization.PerTensor((float) outScale, 0));
  }

  /** A max or average pooling that keeps its input's quantization (as TFLite requires). */
  public int pool(int x, boolean max, int f, int stride, Op.Pads pads) {
    Op op = max ? new Op.MaxPool2D(f, f, stride, stride, pads, Op.Activation.NONE)
        : new Op.AveragePool2D(f, f, stride, stride, pads, Op.Activation.NONE);
    return b.apply(op, List.of(x), "pool" + names++, DType.INT8, b.type(x).quant());
  }

  /** A standalone unary operator (Relu, Logistic, ...) with output scale {@code outScale}. */
  public int unary(Op op, int x, double outScale) {
    return b.apply(op, List.of(x), "act" + names++, DType.INT8, new Quantization.PerTensor((float) outScale, 0));
  }

  /**
   * A residual block whose conv output is the arena's peak unless it is fused away: x
   * [1,16,16,4] → a = 1×1 conv to 64 channels → b = 1×1 conv of a → y = b + a → 1×1 conv to 4
   * channels. Unfused, a, b and y (16 KiB each) are live at the Add; with the Add fused into b's
   * conv, b never leaves L1. Scales are powers of two so shift-only output stages accept it.
   */
  public static Graph convAddChain() {
    PlanGraphs t = new PlanGraphs(7);
    int x = t.input(16, 16, 4, 1.0);
    int a = t.conv(x, 64, 1, 1, 0, 1.0, 2.0, Op.Activation.RELU);
    int b = t.conv(a, 64, 1, 1, 0, 1.0, 4.0, Op.Activation.NONE);
    int y = t.add(b, a, 4.0, Op.Activation.RELU);
    return t.build(t.conv(y, 4, 1, 1, 0, 1.0, 8.0, Op.Activation.NONE));
  }

  public TensorType type(int id) {
    return b.type(id);
  }

  /** The graph with {@code outputs} as its outputs. */
  public Graph build(int... outputs) {
    for (int o : outputs) {
      b.output(o);
    }
    return b.build();
  }

  private double scaleOf(int x) {
    return ((Quantization.PerTensor) b.type(x).quant()).scale();
  }
}
