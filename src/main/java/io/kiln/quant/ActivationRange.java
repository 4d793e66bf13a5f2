package io.kiln.quant;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.TensorType;

/**
 * The clamp a fused activation applies to a quantized output, computed from the output's scale and
 * zero point exactly as TFLite's {@code CalculateActivationRangeQuantized} does (float division,
 * then C {@code round}), intersected with the output dtype's range.
 */
public record ActivationRange(int min, int max) {

  /** The clamp for {@code act} on an int8/int16/uint8 output of type {@code out}. */
  public static ActivationRange quantized(Activation act, TensorType out, String where) {
    DType d = out.dtype();
    if (d != DType.INT8 && d != DType.INT16 && d != DType.UINT8) {
      throw new KilnException(where + ": no quantized activation range for "
          + d.shortName() + " outputs");
    }
    return quantized(act, d, TensorScales.scale(out, "output", where),
        TensorScales.zeroPoint(out, "output", where), where);
  }

  /** The clamp for {@code act} on an output of type {@code dtype}, scale and zero point. */
  public static ActivationRange quantized(Activation act, DType dtype, float scale, int zeroPoint,
      String where) {
    int qmin = (int) dtype.min();
    int qmax = (int) dtype.max();
    return switch (act) {
      case NONE -> new ActivationRange(qmin, qmax);
      case RELU -> new ActivationRange(Math.max(qmin, quantize(scale, zeroPoint, 0f, where)), qmax);
      case RELU6 -> new ActivationRange(Math.max(qmin, quantize(scale, zeroPoint, 0f, where)),
          Math.min(qmax, quantize(scale, zeroPoint, 6f, where)));
      case RELU_N1_TO_1 -> new ActivationRange(
          Math.max(qmin, quantize(scale, zeroPoint, -1f, where)),
          Math.min(qmax, quantize(scale, zeroPoint, 1f, where)));
      case TANH, SIGN_BIT -> throw unsupportedFused(act, where);
    };
  }

  public int clamp(int v) {
    return FixedPoint.clamp(v, min, max);
  }

  /** TFLite's float {@code CalculateActivationRange}: the clamp applied by float kernels. */
  public record Floats(float min, float max) {
    public static Floats of(Activation act, String where) {
      return switch (act) {
        case NONE -> new Floats(-Float.MAX_VALUE, Float.MAX_VALUE);
        case RELU -> new Floats(0f, Float.MAX_VALUE);
        case RELU6 -> new Floats(0f, 6f);
        case RELU_N1_TO_1 -> new Floats(-1f, 1f);
        case TANH, SIGN_BIT -> throw unsupportedFused(act, where);
      };
    }

    /** TFLite's {@code ActivationFunctionWithMinMax}: {@code std::min(std::max(v, lo), hi)}. */
    public float clamp(float v) {
      // Spelled out so that -0.0 and NaN pass through exactly as in C++ (Math.max would turn
      // -0.0 into 0.0).
      float lo = v < min ? min : v;
      return max < lo ? max : lo;
    }
  }

  /**
   * TFLite's prepare-time {@code Quantize}: the division and the rounding happen in float, the
   * zero point is added after.
   */
  private static int quantize(float scale, int zeroPoint, float f, String where) {
    float q = f / scale;
    float rounded = (float) FixedPoint.roundHalfAway(q);
    if (!(rounded >= (float) Integer.MIN_VALUE && rounded <= (float) Integer.MAX_VALUE)) {
      throw new KilnException(where + ": activation bound " + f
          + " overflows int32 at output scale " + scale);
    }
    return zeroPoint + (int) rounded;
  }

  private static KilnException unsupportedFused(Activation act, String where) {
    // TFLite kernels silently skip these; refusing is safer than computing something else.
    return new KilnException(where + ": fused activation " + act + " is not supported");
  }
}
