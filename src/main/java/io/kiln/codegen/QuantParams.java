package io.kiln.codegen;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * Prepare-time quantization parameters of the generated kernels, computed exactly as TFLite
 * Micro's prepare functions compute them (same float/double conversions, same order), so the
 * integer code that reads them is bit-identical to TFLM's reference kernels.
 */
final class QuantParams {
  private QuantParams() {}

  /** Clamp range of a fused activation in the output's integer domain. */
  record Range(int min, int max) {}

  /** Requantization of a conv/FC accumulator: one multiplier per output channel. */
  record Requant(int[] multipliers, int[] shifts) {
    boolean perChannel() {
      for (int i = 1; i < multipliers.length; i++) {
        if (multipliers[i] != multipliers[0] || shifts[i] != shifts[0]) {
          return true;
        }
      }
      return false;
    }
  }

  /** TFLM Add for int8: inputs rescaled to a common scale with 20 bits of headroom. */
  record Add(int leftShift, int lhsOffset, int lhsMultiplier, int lhsShift, int rhsOffset,
      int rhsMultiplier, int rhsShift, int outputMultiplier, int outputShift, int outputOffset,
      Range range) {}

  /** TFLM int8 softmax: input differences scaled to Q5.26, and the smallest difference kept. */
  record Softmax(int betaMultiplier, int betaLeftShift, int diffMin) {}

  /** TFLite {@code CalculateActivationRangeQuantized}: quantizes the activation's bounds. */
  static Range activationRange(Activation act, TensorType out) {
    int qmin = (int) out.dtype().min();
    int qmax = (int) out.dtype().max();
    return switch (act) {
      case NONE -> new Range(qmin, qmax);
      case RELU -> new Range(Math.max(qmin, quantize(0f, out)), qmax);
      case RELU6 -> new Range(Math.max(qmin, quantize(0f, out)),
          Math.min(qmax, quantize(6f, out)));
      case RELU_N1_TO_1 -> new Range(Math.max(qmin, quantize(-1f, out)),
          Math.min(qmax, quantize(1f, out)));
      case TANH, SIGN_BIT -> throw new KilnException("fused activation " + act
          + " is not supported by the CPU target");
    };
  }

  /** TFLite's prepare-time {@code Quantize}: a float division and roundf, then the zero point. */
  private static int quantize(float f, TensorType t) {
    float scale = t.quant().scale();
    float q = f / scale;
    return (int) t.quant().zeroPoint() + (int) FixedPoint.roundHalfAway(q);
  }

  /**
   * Conv and depthwise (TFLM {@code PopulateConvolutionQuantizationParams}): per channel,
   * {@code (double) inScale * (double) filterScale / (double) outScale}; a per-tensor filter
   * scale is broadcast.
   */
  static Requant convolution(TensorType in, TensorType filter, TensorType out, int channels) {
    double inScale = in.quant().scale();
    double outScale = out.quant().scale();
    int[] m = new int[channels];
    int[] s = new int[channels];
    for (int c = 0; c < channels; c++) {
      double filterScale = filterScale(filter.quant(), c, channels);
      QuantizedMultiplier q = FixedPoint.quantizeMultiplier(inScale * filterScale / outScale);
      m[c] = q.multiplier();
      s[c] = q.shift();
    }
    return new Requant(m, s);
  }

  /**
   * Fully connected (TFLM {@code CalculateOpDataFullyConnected}): per-channel weights as for conv;
   * per-tensor weights through {@code GetQuantizedConvolutionMultipler}, which multiplies the two
   * scales in float before widening.
   */
  static Requant fullyConnected(TensorType in, TensorType weights, TensorType out, int channels) {
    if (weights.quant() instanceof Quantization.PerAxis p && p.channels() > 1) {
      return convolution(in, weights, out, channels);
    }
    float product = in.quant().scale() * weights.quant().scaleAt(0);
    QuantizedMultiplier q = FixedPoint.quantizeMultiplier((double) product
        / (double) out.quant().scale());
    int[] m = new int[channels];
    int[] s = new int[channels];
    java.util.Arrays.fill(m, q.multiplier());
    java.util.Arrays.fill(s, q.shift());
    return new Requant(m, s);
  }

  private static double filterScale(Quantization q, int c, int channels) {
    if (q instanceof Quantization.PerAxis p && p.channels() > 1) {
      if (p.channels() != channels) {
        throw new KilnException("filter has " + p.channels() + " scales for " + channels
            + " output channels");
      }
      return p.scale(c);
    }
    return q.scaleAt(0);
  }

  /** TFLM {@code CalculateOpDataAdd} for int8 outputs. */
  static Add add(TensorType lhs, TensorType rhs, TensorType out, Activation act) {
    int leftShift = out.dtype() == DType.INT16 ? 15 : 20;
    float l = lhs.quant().scale();
    float r = rhs.quant().scale();
    double twiceMax = 2 * (double) Math.max(l, r);
    QuantizedMultiplier lm = smallerThanOne((double) l / twiceMax);
    QuantizedMultiplier rm = smallerThanOne((double) r / twiceMax);
    QuantizedMultiplier om = smallerThanOne(twiceMax
        / ((1 << leftShift) * (double) out.quant().scale()));
    return new Add(leftShift, (int) -lhs.quant().zeroPoint(), lm.multiplier(), lm.shift(),
        (int) -rhs.quant().zeroPoint(), rm.multiplier(), rm.shift(), om.multiplier(), om.shift(),
        (int) out.quant().zeroPoint(), activationRange(act, out));
  }

  private static QuantizedMultiplier smallerThanOne(double real) {
    QuantizedMultiplier q = FixedPoint.quantizeMultiplier(real);
    if (q.shift() > 0) {
      throw new KilnException("multiplier " + real + " is not smaller than one");
    }
    return q;
  }

  /**
   * TFLM {@code CalculateSoftmaxParams} for int8: {@code PreprocessSoftmaxScaling} with 5 integer
   * bits, then {@code diff_min = -floor(CalculateInputRadius(5, leftShift))}.
   */
  static Softmax softmax(float beta, TensorType in) {
    final int scaledDiffIntegerBits = 5;
    double real = Math.min((double) beta * (double) in.quant().scale()
        * (double) (1 << (31 - scaledDiffIntegerBits)), (double) (1L << 31) - 1.0);
    QuantizedMultiplier q = FixedPoint.quantizeMultiplier(real);
    if (q.shift() < 0) {
      throw new KilnException("softmax input multiplier " + real + " is smaller than one");
    }
    double maxInputRescaled = 1.0 * ((1 << scaledDiffIntegerBits) - 1)
        * (double) (1L << (31 - scaledDiffIntegerBits)) / (double) (1L << q.shift());
    int radius = (int) Math.floor(maxInputRescaled);
    return new Softmax(q.multiplier(), q.shift(), (int) (-1.0 * radius));
  }
}
