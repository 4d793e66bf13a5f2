package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op;

/**
 * The clamp range of a fused activation, computed at prepare time exactly as TFLite's
 * {@code CalculateActivationRangeQuantized} (quantized) and {@code CalculateActivationRange}
 * (float) do.
 */
record ActivationRange(int min, int max) {

  /** Float clamp range of a fused activation. */
  record Floats(float min, float max) {
    float clamp(float v) {
      // TFLite's ActivationFunctionWithMinMax, std::min(std::max(v, lo), hi), spelled out so
      // that -0.0 and NaN pass through exactly as in C++ (Math.max would turn -0.0 into 0.0).
      float lo = v < min ? min : v;
      return max < lo ? max : lo;
    }
  }

  int clamp(int v) {
    return Math.max(min, Math.min(max, v));
  }

  /** The quantized range of {@code act} on an output of type {@code dtype}, scale and zero point. */
  static ActivationRange quantized(Op.Activation act, DType dtype, float scale, int zeroPoint) {
    int qmin = (int) dtype.min();
    int qmax = (int) dtype.max();
    return switch (act) {
      case NONE -> new ActivationRange(qmin, qmax);
      case RELU -> new ActivationRange(Math.max(qmin, quantize(0f, scale, zeroPoint)), qmax);
      case RELU6 -> new ActivationRange(Math.max(qmin, quantize(0f, scale, zeroPoint)),
          Math.min(qmax, quantize(6f, scale, zeroPoint)));
      case RELU_N1_TO_1 -> new ActivationRange(Math.max(qmin, quantize(-1f, scale, zeroPoint)),
          Math.min(qmax, quantize(1f, scale, zeroPoint)));
      case TANH, SIGN_BIT ->
          throw new KilnException("fused activation " + act + " is not supported");
    };
  }

  static Floats floats(Op.Activation act) {
    return switch (act) {
      case NONE -> new Floats(-Float.MAX_VALUE, Float.MAX_VALUE);
      case RELU -> new Floats(0f, Float.MAX_VALUE);
      case RELU6 -> new Floats(0f, 6f);
      case RELU_N1_TO_1 -> new Floats(-1f, 1f);
      case TANH, SIGN_BIT ->
          throw new KilnException("fused activation " + act + " is not supported");
    };
  }

  /** TFLite's kernel_util {@code Quantize}: zero_point + round(f / scale), in float. */
  private static int quantize(float f, float scale, int zeroPoint) {
    float tmp = ElementwiseSupport.roundHalfAway(f / scale);
    if (!(tmp >= -2147483648f && tmp <= 2147483647f)) {
      throw new KilnException("activation bound " + f + " overflows int32 at scale " + scale);
    }
    return zeroPoint + (int) tmp;
  }
}
