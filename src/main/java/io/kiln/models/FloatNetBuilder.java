package io.kiln.models;

import io.kiln.frontend.tflite.TflitePadding;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Verifier;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds small float32 networks with seeded weights, the untrained stand-ins that the built-in
 * models quantize. Layers take and return value ids; shapes come from {@link
 * io.kiln.ir.ShapeInference}. Layouts are TFLite's: NHWC activations, OHWI filters, depthwise
 * filters [1, KH, KW, C], fully-connected weights [out, in].
 *
 * <p>Only {@link SplittableRandom} and IEEE-exact arithmetic (+, -, *, /, sqrt) decide a weight,
 * so a seed gives the same bits on every JVM.
 */
final class FloatNetBuilder {
  /** Biases are drawn from [-BIAS_LIMIT, BIAS_LIMIT]: small next to the weighted sums. */
  private static final double BIAS_LIMIT = 0.05;

  private final GraphBuilder gb;
  private final SplittableRandom rng;

  FloatNetBuilder(String name, long seed) {
    this.gb = new GraphBuilder(name);
    this.rng = new SplittableRandom(seed);
  }

  int input(String name, Shape shape) {
    return gb.input(name, floatType(shape));
  }

  /** Convolution with OHWI filters, SAME or VALID padding, bias and optional fused ReLU. */
  int conv(String name, int x, int outC, int kh, int kw, int stride, boolean same,
      boolean relu) {
    Shape in = shape(x);
    int inC = in.dim(3);
    Pads pads = same ? samePads(in, kh, kw, stride) : Pads.NONE;
    int w = weights(name + "/filter", Shape.of(outC, kh, kw, inC), kh * kw * inC);
    int b = bias(name + "/bias", outC);
    return apply(name, new Op.Conv2D(stride, stride, 1, 1, pads, act(relu)), x, w, b);
  }

  /** Depthwise convolution (multiplier 1) with SAME padding, bias and optional fused ReLU. */
  int depthwise(String name, int x, int kh, int kw, int stride, boolean relu) {
    Shape in = shape(x);
    int c = in.dim(3);
    int w = weights(name + "/filter", Shape.of(1, kh, kw, c), kh * kw);
    int b = bias(name + "/bias", c);
    Op op = new Op.DepthwiseConv2D(stride, stride, 1, 1, samePads(in, kh, kw, stride), 1,
        act(relu));
    return apply(name, op, x, w, b);
  }

  /** Fully connected layer on a [N, in] activation. */
  int fullyConnected(String name, int x, int outC, boolean relu) {
    int depth = shape(x).dim(-1);
    int w = weights(name + "/weights", Shape.of(outC, depth), depth);
    int b = bias(name + "/bias", outC);
    return apply(name, new Op.FullyConnected(act(relu), false), x, w, b);
  }

  /** Element-wise sum of two same-shaped activations (a residual connection). */
  int add(String name, int a, int b, boolean relu) {
    return apply(name, new Op.Add(act(relu)), a, b);
  }

  /** Max pooling over {@code k x k} windows at {@code stride}, SAME padding. */
  int maxPool(String name, int x, int k, int stride) {
    Pads pads = samePads(shape(x), k, k, stride);
    return apply(name, new Op.MaxPool2D(k, k, stride, stride, pads, Activation.NONE), x);
  }

  /** Average over the whole spatial extent, keeping a 1x1 NHWC result. */
  int globalAveragePool(String name, int x) {
    Shape in = shape(x);
    int h = in.dim(1);
    int w = in.dim(2);
    return apply(name, new Op.AveragePool2D(h, w, h, w, Pads.NONE, Activation.NONE), x);
  }

  int reshape(String name, int x, Shape to) {
    return apply(name, new Op.Reshape(to), x);
  }

  int softmax(String name, int x) {
    return apply(name, new Op.Softmax(1.0f), x);
  }

  Graph build(int... outputs) {
    for (int id : outputs) {
      gb.output(id);
    }
    return Verifier.verify(gb.build());
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * He-uniform weights, U(-sqrt(6 / fanIn), +sqrt(6 / fanIn)): they keep the activation variance
   * roughly constant through ReLU layers, so the ranges calibration finds stay in a realistic
   * band instead of exploding or vanishing with depth.
   */
  private int weights(String name, Shape shape, int fanIn) {
    return constant(name, shape, Math.sqrt(6.0 / fanIn));
  }

  private int bias(String name, int channels) {
    return constant(name, Shape.of(channels), BIAS_LIMIT);
  }

  private int constant(String name, Shape shape, double limit) {
    float[] v = new float[shape.elements()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((rng.nextDouble() * 2 - 1) * limit);
    }
    return gb.constant(name, floatType(shape), ConstData.ofFloats(v));
  }

  private int apply(String name, Op op, Integer... inputs) {
    return gb.apply(op, List.of(inputs), name, DType.FLOAT32, Quantization.NONE);
  }

  private Shape shape(int id) {
    return gb.type(id).shape();
  }

  private static TensorType floatType(Shape shape) {
    return new TensorType(DType.FLOAT32, shape, Quantization.NONE);
  }

  private static Activation act(boolean relu) {
    return relu ? Activation.RELU : Activation.NONE;
  }

  /** TFLite SAME padding, as the TFLite importer resolves it (the odd pixel goes at the end). */
  private static Pads samePads(Shape in, int kh, int kw, int stride) {
    return TflitePadding.forWindow(TflitePadding.SAME, stride, stride, 1, 1, in.dim(1),
        in.dim(2), kh, kw);
  }
}
