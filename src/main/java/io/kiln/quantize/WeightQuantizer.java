package io.kiln.quantize;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint;

/**
 * Quantizes the constant operands of weighted layers: weights to symmetric int8 (per tensor or
 * per output channel) or ternary {-1, 0, +1} per channel, and biases to int32 on the scale
 * input scale × weight scale that the integer accumulator has.
 */
final class WeightQuantizer {
  /**
   * Ternary threshold as a fraction of the channel's mean |w|: Li &amp; Liu's ternary weight
   * networks derive 0.7·E|w| as the error-minimizing threshold for Gaussian-like weights.
   */
  static final double TERNARY_THRESHOLD = 0.7;

  private WeightQuantizer() {}

  /** A quantized constant: its type (with quantization) and data. */
  record Quantized(TensorType type, ConstData data) {}

  /**
   * Weights of shape {@code shape} whose output channels run along {@code axis}; one scale per
   * channel when {@code perChannel} (ternary is always per channel), else one for the tensor.
   */
  static Quantized weights(float[] w, Shape shape, int axis, boolean perChannel,
      QuantizeOptions.WeightFormat format, boolean pow2) {
    int channels = shape.dim(axis);
    int inner = 1;
    for (int d = axis + 1; d < shape.rank(); d++) {
      inner *= shape.dim(d);
    }
    boolean ternary = format == QuantizeOptions.WeightFormat.TERNARY;
    int groups = perChannel || ternary ? channels : 1;
    double[] scales = new double[groups];
    int[] q = new int[w.length];
    if (ternary) {
      double[] sumAbs = new double[groups];
      int[] n = new int[groups];
      for (int i = 0; i < w.length; i++) {
        int c = channel(i, inner, channels);
        sumAbs[c] += Math.abs(w[i]);
        n[c]++;
      }
      double[] threshold = new double[groups];
      for (int c = 0; c < groups; c++) {
        threshold[c] = TERNARY_THRESHOLD * sumAbs[c] / Math.max(1, n[c]);
      }
      // The scale that minimizes the channel's squared error given the threshold: the mean |w|
      // over the weights that stay non-zero.
      double[] keptAbs = new double[groups];
      int[] kept = new int[groups];
      for (int i = 0; i < w.length; i++) {
        int c = channel(i, inner, channels);
        if (Math.abs(w[i]) > threshold[c]) {
          q[i] = w[i] > 0 ? 1 : -1;
          keptAbs[c] += Math.abs(w[i]);
          kept[c]++;
        }
      }
      for (int c = 0; c < groups; c++) {
        double s = kept[c] > 0 ? keptAbs[c] / kept[c] : 1.0;
        scales[c] = pow2 ? Scales.pow2Nearest(s) : s;
      }
    } else {
      double[] maxAbs = new double[groups];
      for (int i = 0; i < w.length; i++) {
        int c = groups == 1 ? 0 : channel(i, inner, channels);
        maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[i]));
      }
      for (int c = 0; c < groups; c++) {
        scales[c] = Scales.symmetricWeight(maxAbs[c], pow2);
      }
      for (int i = 0; i < w.length; i++) {
        int c = groups == 1 ? 0 : channel(i, inner, channels);
        // The division uses the float32 scale the model will store, so dequantized weights are
        // what this rounding intended.
        long r = FixedPoint.roundHalfAway(w[i] / (double) (float) scales[c]);
        q[i] = (int) Math.max(-Scales.WEIGHT_MAX, Math.min(Scales.WEIGHT_MAX, r));
      }
    }
    Quantization quant;
    if (groups == 1) {
      quant = new Quantization.PerTensor((float) scales[0], 0);
    } else {
      float[] fs = new float[groups];
      for (int c = 0; c < groups; c++) {
        fs[c] = (float) scales[c];
      }
      quant = new Quantization.PerAxis(axis, fs, new long[groups]);
    }
    return new Quantized(new TensorType(DType.INT8, shape, quant),
        ConstData.ofInts(DType.INT8, q));
  }

  /**
   * int32 bias on scale {@code inputScale * weightScale[c]} (computed in float32 as TFLite
   * stores it), rounded half away from zero and saturated.
   */
  static Quantized bias(float[] b, Shape shape, float inputScale, Quantization weightQuant) {
    int channels = b.length;
    int[] q = new int[channels];
    float[] scales = new float[channels];
    for (int c = 0; c < channels; c++) {
      float ws = weightQuant instanceof Quantization.PerAxis p ? p.scale(c) : weightQuant.scale();
      scales[c] = inputScale * ws;
      double r = FixedPoint.roundHalfAway(b[c] / (double) scales[c]);
      q[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, r));
    }
    Quantization quant = weightQuant instanceof Quantization.PerAxis
        ? new Quantization.PerAxis(0, scales, new long[channels])
        : new Quantization.PerTensor(scales[0], 0);
    return new Quantized(new TensorType(DType.INT32, shape, quant),
        ConstData.ofInts(DType.INT32, q));
  }

  private static int channel(int flatIndex, int inner, int channels) {
    return (flatIndex / inner) % channels;
  }
}
