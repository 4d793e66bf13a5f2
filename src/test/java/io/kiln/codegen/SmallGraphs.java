package io.kiln.codegen;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.List;
import java.util.Random;

/**
 * Hand-built int8 graphs with seeded random weights, sized so that outputs spread over the int8
 * range instead of saturating.
 */
final class SmallGraphs {
  private final GraphBuilder b;
  private final Random rnd;

  SmallGraphs(String name, long seed) {
    this.b = new GraphBuilder(name);
    this.rnd = new Random(seed);
  }

  GraphBuilder builder() {
    return b;
  }

  int input(int... dims) {
    return b.input("x", new TensorType(DType.INT8, Shape.of(dims),
        Quantization.perTensor(0.02 + rnd.nextDouble() * 0.05, rnd.nextInt(41) - 20)));
  }

  private Quantization outQuant(double scale) {
    return Quantization.perTensor(scale, rnd.nextInt(61) - 30);
  }

  private int weights(String name, int[] dims, int axis, int channels, double[] scalesOut) {
    int n = Shape.of(dims).elements();
    int[] w = new int[n];
    for (int i = 0; i < n; i++) {
      w[i] = rnd.nextInt(255) - 127;
    }
    float[] scales = new float[channels];
    for (int c = 0; c < channels; c++) {
      scales[c] = (float) (0.002 + rnd.nextDouble() * 0.01);
      scalesOut[c] = scales[c];
    }
    Quantization q = channels == 1 ? Quantization.perTensor(scales[0], 0)
        : new Quantization.PerAxis(axis, scales, new long[channels]);
    return b.constant(name, new TensorType(DType.INT8, Shape.of(dims), q),
        ConstData.ofInts(DType.INT8, w));
  }

  private int bias(String name, int channels, int magnitude) {
    int[] v = new int[channels];
    for (int c = 0; c < channels; c++) {
      v[c] = rnd.nextInt(2 * magnitude + 1) - magnitude;
    }
    return b.constant(name, new TensorType(DType.INT32, Shape.of(channels), Quantization.NONE),
        ConstData.ofInts(DType.INT32, v));
  }

  /** Output scale for sums of {@code terms} products of int8 values. */
  private double sumScale(int x, double wScale, int terms) {
    return b.type(x).quant().scale() * wScale * Math.sqrt(terms) * 70 * 70 / 50;
  }

  int conv(int x, int oc, int kh, int kw, int s, int d, Op.Pads pads, Activation act,
      boolean perChannel, boolean withBias) {
    int ic = b.type(x).shape().dim(3);
    double[] scales = new double[oc];
    int w = weights("w", new int[] {oc, kh, kw, ic}, 0, perChannel ? oc : 1, scales);
    int bias = withBias ? bias("b", oc, 4000) : io.kiln.ir.Node.ABSENT;
    return b.apply(new Op.Conv2D(s, s, d, d, pads, act), List.of(x, w, bias), "conv",
        DType.INT8, outQuant(sumScale(x, scales[0], kh * kw * ic)));
  }

  int depthwise(int x, int mult, int kh, int kw, int s, int d, Op.Pads pads, Activation act) {
    int ic = b.type(x).shape().dim(3);
    double[] scales = new double[ic * mult];
    int w = weights("dw", new int[] {1, kh, kw, ic * mult}, 3, ic * mult, scales);
    int bias = bias("db", ic * mult, 2000);
    return b.apply(new Op.DepthwiseConv2D(s, s, d, d, pads, mult, act), List.of(x, w, bias),
        "depthwise", DType.INT8, outQuant(sumScale(x, scales[0], kh * kw)));
  }

  int fc(int x, int units, Activation act, boolean perChannel) {
    int depth = b.type(x).shape().dim(-1);
    double[] scales = new double[units];
    int w = weights("fw", new int[] {units, depth}, 0, perChannel ? units : 1, scales);
    int bias = bias("fb", units, 3000);
    int[] outDims = b.type(x).shape().dims();
    outDims[outDims.length - 1] = units;
    return b.apply(new Op.FullyConnected(act, true), List.of(x, w, bias), "fc", DType.INT8,
        outQuant(sumScale(x, scales[0], depth)));
  }

  int avgPool(int x, int f, int s, Op.Pads pads, Activation act) {
    return b.apply(new Op.AveragePool2D(f, f, s, s, pads, act), List.of(x), "avgpool",
        DType.INT8, b.type(x).quant());
  }

  int maxPool(int x, int f, int s, Op.Pads pads) {
    return b.apply(new Op.MaxPool2D(f, f, s, s, pads, Activation.NONE), List.of(x), "maxpool",
        DType.INT8, b.type(x).quant());
  }

  int add(int lhs, int rhs, Activation act) {
    double s = Math.max(b.type(lhs).quant().scale(), b.type(rhs).quant().scale()) * 1.5;
    return b.apply(new Op.Add(act), List.of(lhs, rhs), "add", DType.INT8, outQuant(s));
  }

  int reshape(int x, int... dims) {
    return b.apply(new Op.Reshape(Shape.of(dims)), List.of(x), "reshape", DType.INT8,
        b.type(x).quant());
  }

  int softmax(int x, float beta) {
    return b.apply(new Op.Softmax(beta), List.of(x), "softmax", DType.INT8,
        Quantization.perTensor(1.0 / 256, -128));
  }

  /** Uniform random int8 samples for input {@code id}, {@code batch} of them back to back. */
  byte[] randomInput(int id, int batch) {
    byte[] bytes = new byte[b.type(id).elements() * batch];
    rnd.nextBytes(bytes);
    return bytes;
  }
}
