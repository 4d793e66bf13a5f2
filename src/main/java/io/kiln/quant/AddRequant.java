package io.kiln.quant;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * Prepared quantized Add/Sub (TFLite's {@code ArithmeticParams}): both inputs are brought to a
 * common scale of twice the larger input scale, with {@code leftShift} bits of headroom for
 * precision (20 for int8, 15 for int16), then the sum is rescaled to the output.
 */
public record AddRequant(int leftShift, int input1Offset, QuantizedMultiplier input1,
    int input2Offset, QuantizedMultiplier input2, int outputOffset, QuantizedMultiplier output,
    ActivationRange range) {

  /** TFLM {@code CalculateOpDataAdd}: the real multipliers are computed in double. */
  public static AddRequant add(TensorType lhs, TensorType rhs, TensorType out, Activation act,
      String where) {
    float s1 = TensorScales.scale(lhs, "lhs", where);
    float s2 = TensorScales.scale(rhs, "rhs", where);
    float so = TensorScales.scale(out, "output", where);
    int leftShift = leftShift(out);
    double twiceMaxInputScale = 2 * (double) Math.max(s1, s2);
    double real1 = (double) s1 / twiceMaxInputScale;
    double real2 = (double) s2 / twiceMaxInputScale;
    double realOut = twiceMaxInputScale / ((1 << leftShift) * (double) so);
    return of(lhs, rhs, out, act, where, leftShift, real1, real2, realOut);
  }

  /**
   * TFLM {@code CalculateOpDataSub}: unlike Add, twice_max_input_scale and the three ratios are
   * computed in float and only then widened to double, which can change the last multiplier bit.
   */
  public static AddRequant sub(TensorType lhs, TensorType rhs, TensorType out, Activation act,
      String where) {
    float s1 = TensorScales.scale(lhs, "lhs", where);
    float s2 = TensorScales.scale(rhs, "rhs", where);
    float so = TensorScales.scale(out, "output", where);
    int leftShift = leftShift(out);
    float twiceMaxInputScale = 2 * Math.max(s1, s2);
    double real1 = (double) (s1 / twiceMaxInputScale);
    double real2 = (double) (s2 / twiceMaxInputScale);
    double realOut = (double) (twiceMaxInputScale / ((1 << leftShift) * so));
    return of(lhs, rhs, out, act, where, leftShift, real1, real2, realOut);
  }

  private static int leftShift(TensorType out) {
    return out.dtype() == DType.INT16 ? 15 : 20;
  }

  private static AddRequant of(TensorType lhs, TensorType rhs, TensorType out, Activation act,
      String where, int leftShift, double real1, double real2, double realOut) {
    return new AddRequant(leftShift,
        -TensorScales.zeroPoint(lhs, "lhs", where), smallerThanOne(real1, where),
        -TensorScales.zeroPoint(rhs, "rhs", where), smallerThanOne(real2, where),
        TensorScales.zeroPoint(out, "output", where), smallerThanOne(realOut, where),
        ActivationRange.quantized(act, out, where));
  }

  /** TFLite's {@code QuantizeMultiplierSmallerThanOneExp}, whose checks become user errors. */
  private static QuantizedMultiplier smallerThanOne(double real, String where) {
    if (!(real > 0 && real < 1)) {
      throw new KilnException(where + ": rescale factor " + real + " outside (0, 1)");
    }
    QuantizedMultiplier q = FixedPoint.quantizeMultiplier(real);
    if (q.shift() > 0) {
      throw new KilnException(where + ": rescale factor " + real + " rounds to >= 1");
    }
    return q;
  }
}
