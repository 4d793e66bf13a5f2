package io.kiln.models;

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
 * Builds small int8 networks the way TFLite's post-training quantizer would: it draws seeded
 * float weights, quantizes them symmetrically per output channel, and runs the float network on a
 * few seeded calibration inputs alongside, so every activation's scale and zero point come from
 * the range that tensor really takes.
 *
 * <p>Floating point here is model generation, not inference: it decides quantization parameters
 * once, like a converter would, and never touches the integer kernels. Only IEEE-exact operations
 * (+, *, /, sqrt) and {@link SplittableRandom} are used, so the result is the same bits on every
 * JVM, which the golden files rely on.
 */
final class QuantizedNetBuilder {

  /**
   * An int8 activation in the graph being built, with the float network's values for it on each
   * calibration sample (NHWC, batch 1, flattened).
   */
  record Act(int id, Shape shape, float[][] calib, float scale, int zeroPoint) {
    Quantization quant() {
      return Quantization.perTensor(scale, zeroPoint);
    }
  }

  private final GraphBuilder gb;
  private final SplittableRandom rng;
  private final int samples;

  QuantizedNetBuilder(String name, long seed, int calibrationSamples) {
    this.gb = new GraphBuilder(name);
    this.rng = new SplittableRandom(seed);
    this.samples = calibrationSamples;
  }

  /** A graph input whose real values are drawn uniformly from [lo, hi] for calibration. */
  Act input(String name, Shape shape, float lo, float hi) {
    float[][] calib = new float[samples][shape.elements()];
    for (float[] s : calib) {
      for (int i = 0; i < s.length; i++) {
        s[i] = lo + (hi - lo) * (float) rng.nextDouble();
      }
    }
    float[] q = rangeToQuant(lo, hi);
    int id = gb.input(name, TensorType.quantized(DType.INT8, shape, q[0], (long) q[1]));
    return new Act(id, shape, calib, q[0], (int) q[1]);
  }

  /** Convolution with OHWI filters, SAME or VALID padding, bias and optional fused ReLU. */
  Act conv(String name, Act x, int outC, int kh, int kw, int stride, boolean same, boolean relu) {
    int inC = x.shape.dim(3);
    Pads pads = same ? samePads(x.shape, kh, kw, stride) : Pads.NONE;
    Weights w = weights(outC, kh * kw * inC, kh * kw * inC);
    int wId = gb.constant(name + "/filter",
        new TensorType(DType.INT8, Shape.of(outC, kh, kw, inC), w.quant(0)),
        ConstData.ofInts(DType.INT8, w.q));
    int bId = bias(name, x, w);
    Op op = new Op.Conv2D(stride, stride, 1, 1, pads, relu ? Activation.RELU : Activation.NONE);
    Shape out = Shape.of(1, outDim(x.shape.dim(1), kh, stride, pads.top() + pads.bottom()),
        outDim(x.shape.dim(2), kw, stride, pads.left() + pads.right()), outC);
    float[][] calib = new float[samples][];
    for (int s = 0; s < samples; s++) {
      calib[s] = FloatReference.conv(x.calib[s], x.shape, w.real, w.realBias, outC, kh, kw,
          stride, pads, out, relu);
    }
    return result(name, op, List.of(x.id, wId, bId), out, calib);
  }

  /** Depthwise 3x3-style convolution (multiplier 1) with bias and optional fused ReLU. */
  Act depthwise(String name, Act x, int kh, int kw, int stride, boolean relu) {
    int c = x.shape.dim(3);
    Pads pads = samePads(x.shape, kh, kw, stride);
    // Depthwise filters are [1, KH, KW, C]: the channel is the innermost axis, so per-channel
    // scales run along axis 3. The weights are generated channel-major and transposed below.
    Weights w = weights(c, kh * kw, kh * kw);
    int[] hwc = new int[kh * kw * c];
    for (int ch = 0; ch < c; ch++) {
      for (int k = 0; k < kh * kw; k++) {
        hwc[k * c + ch] = w.q[ch * kh * kw + k];
      }
    }
    int wId = gb.constant(name + "/filter",
        new TensorType(DType.INT8, Shape.of(1, kh, kw, c), w.quant(3)),
        ConstData.ofInts(DType.INT8, hwc));
    int bId = bias(name, x, w);
    Op op = new Op.DepthwiseConv2D(stride, stride, 1, 1, pads, 1,
        relu ? Activation.RELU : Activation.NONE);
    Shape out = Shape.of(1, outDim(x.shape.dim(1), kh, stride, pads.top() + pads.bottom()),
        outDim(x.shape.dim(2), kw, stride, pads.left() + pads.right()), c);
    float[][] calib = new float[samples][];
    for (int s = 0; s < samples; s++) {
      calib[s] = FloatReference.depthwise(x.calib[s], x.shape, w.real, w.realBias, kh, kw,
          stride, pads, out, relu);
    }
    return result(name, op, List.of(x.id, wId, bId), out, calib);
  }

  /** Fully connected layer on a [1, in] activation with per-channel weights. */
  Act fullyConnected(String name, Act x, int outC, boolean relu) {
    int depth = x.shape.dim(-1);
    Weights w = weights(outC, depth, depth);
    int wId = gb.constant(name + "/weights",
        new TensorType(DType.INT8, Shape.of(outC, depth), w.quant(0)),
        ConstData.ofInts(DType.INT8, w.q));
    int bId = bias(name, x, w);
    Op op = new Op.FullyConnected(relu ? Activation.RELU : Activation.NONE, false);
    Shape out = Shape.of(x.shape.elements() / depth, outC);
    float[][] calib = new float[samples][];
    for (int s = 0; s < samples; s++) {
      calib[s] = FloatReference.fullyConnected(x.calib[s], w.real, w.realBias, outC, depth, relu);
    }
    return result(name, op, List.of(x.id, wId, bId), out, calib);
  }

  /** Element-wise sum of two same-shaped activations (a residual connection). */
  Act add(String name, Act a, Act b, boolean relu) {
    float[][] calib = new float[samples][];
    for (int s = 0; s < samples; s++) {
      calib[s] = new float[a.calib[s].length];
      for (int i = 0; i < calib[s].length; i++) {
        float v = a.calib[s][i] + b.calib[s][i];
        calib[s][i] = relu ? Math.max(v, 0f) : v;
      }
    }
    Op op = new Op.Add(relu ? Activation.RELU : Activation.NONE);
    return result(name, op, List.of(a.id, b.id), a.shape, calib);
  }

  /** Average over the whole spatial extent; TFLite keeps the input's quantization. */
  Act globalAveragePool(String name, Act x) {
    int h = x.shape.dim(1);
    int w = x.shape.dim(2);
    int c = x.shape.dim(3);
    Op op = new Op.AveragePool2D(h, w, h, w, Pads.NONE, Activation.NONE);
    float[][] calib = new float[samples][c];
    for (int s = 0; s < samples; s++) {
      for (int i = 0; i < h * w; i++) {
        for (int ch = 0; ch < c; ch++) {
          calib[s][ch] += x.calib[s][i * c + ch] / (h * w);
        }
      }
    }
    return keepQuant(name, op, x, Shape.of(1, 1, 1, c), calib);
  }

  Act reshape(String name, Act x, Shape to) {
    return keepQuant(name, new Op.Reshape(to), x, to, x.calib);
  }

  /** Softmax with TFLite's fixed int8 output quantization q(1/256, -128). */
  Act softmax(String name, Act x) {
    float[][] calib = new float[samples][];
    for (int s = 0; s < samples; s++) {
      calib[s] = FloatReference.softmax(x.calib[s]);
    }
    int id = gb.apply(new Op.Softmax(1.0f), List.of(x.id), name, DType.INT8,
        Quantization.perTensor(1.0 / 256, -128));
    return new Act(id, x.shape, calib, 1.0f / 256, -128);
  }

  Graph build(Act... outputs) {
    for (Act a : outputs) {
      gb.output(a.id);
    }
    return Verifier.verify(gb.build());
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Seeded weights in their per-channel int8 form, the dequantized values the float network uses,
   * and the float bias (replaced by its int32-rounded value once {@link #bias} quantizes it).
   */
  private record Weights(int[] q, float[] scales, float[] real, float[] realBias) {
    Quantization quant(int axis) {
      return new Quantization.PerAxis(axis, scales, new long[scales.length]);
    }
  }

  private Weights weights(int channels, int perChannel, int fanIn) {
    // He-uniform keeps the activation variance roughly constant through ReLU layers, so the
    // calibrated ranges stay in a realistic band instead of exploding or vanishing.
    double limit = Math.sqrt(6.0 / fanIn);
    int[] q = new int[channels * perChannel];
    float[] scales = new float[channels];
    float[] real = new float[q.length];
    float[] w = new float[q.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) ((rng.nextDouble() * 2 - 1) * limit);
    }
    for (int c = 0; c < channels; c++) {
      float maxAbs = 0;
      for (int i = 0; i < perChannel; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(w[c * perChannel + i]));
      }
      // Symmetric int8 uses [-127, 127] so that negation never overflows (TFLite convention).
      float scale = maxAbs > 0 ? maxAbs / 127f : 1f;
      scales[c] = scale;
      for (int i = 0; i < perChannel; i++) {
        int k = c * perChannel + i;
        q[k] = Math.max(-127, Math.min(127, Math.round(w[k] / scale)));
        real[k] = q[k] * scale;
      }
    }
    float[] bias = new float[channels];
    for (int c = 0; c < channels; c++) {
      bias[c] = (float) ((rng.nextDouble() * 2 - 1) * 0.05);
    }
    return new Weights(q, scales, real, bias);
  }

  /**
   * int32 bias at scale input_scale * weight_scale[c], as TFLite requires so the bias adds
   * straight into the int32 accumulator. The float network then uses the rounded bias too.
   */
  private int bias(String name, Act x, Weights w) {
    int[] qb = new int[w.scales.length];
    for (int c = 0; c < qb.length; c++) {
      float biasScale = x.scale * w.scales[c];
      qb[c] = Math.round(w.realBias[c] / biasScale);
      w.realBias[c] = qb[c] * biasScale;
    }
    float[] bs = new float[qb.length];
    for (int c = 0; c < qb.length; c++) {
      bs[c] = x.scale * w.scales[c];
    }
    return gb.constant(name + "/bias",
        new TensorType(DType.INT32, Shape.of(qb.length),
            new Quantization.PerAxis(0, bs, new long[qb.length])),
        ConstData.ofInts(DType.INT32, qb));
  }

  /** Adds the node with an output quantization calibrated from the float values. */
  private Act result(String name, Op op, List<Integer> ins, Shape out, float[][] calib) {
    float lo = 0;
    float hi = 0;
    for (float[] s : calib) {
      for (float v : s) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    float[] q = rangeToQuant(lo, hi);
    int id = gb.apply(op, ins, name, DType.INT8, Quantization.perTensor(q[0], (long) q[1]));
    return new Act(id, out, calib, q[0], (int) q[1]);
  }

  private Act keepQuant(String name, Op op, Act x, Shape out, float[][] calib) {
    int id = gb.apply(op, List.of(x.id), name, DType.INT8, x.quant());
    return new Act(id, out, calib, x.scale, x.zeroPoint);
  }

  /**
   * Asymmetric int8 parameters covering [lo, hi] (widened to include 0 so that zero padding is
   * exact): {scale, zeroPoint}.
   */
  static float[] rangeToQuant(float lo, float hi) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
    float scale = hi > lo ? (hi - lo) / 255f : 1f;
    int zp = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
    return new float[] {scale, zp};
  }

  /** TFLite SAME padding: the output is ceil(in / stride); the extra pixel goes at the end. */
  static Pads samePads(Shape in, int kh, int kw, int stride) {
    int ph = samePadTotal(in.dim(1), kh, stride);
    int pw = samePadTotal(in.dim(2), kw, stride);
    return new Pads(ph / 2, pw / 2, ph - ph / 2, pw - pw / 2);
  }

  private static int samePadTotal(int in, int k, int stride) {
    int out = (in + stride - 1) / stride;
    return Math.max((out - 1) * stride + k - in, 0);
  }

  private static int outDim(int in, int k, int stride, int padTotal) {
    return (in + padTotal - k) / stride + 1;
  }
}
