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
    return prepare(lhs, rhs, out, act, where, false);
  }

  /**
   * TFLM {@code CalculateOpDataSub}: unlike Add, twice_max_input_scale and the three ratios are
   * computed in float and only then widened to double, which can change the last multiplier bit.
   */
  public static AddRequant sub(TensorType lhs, TensorType rhs, TensorType out, Activation act,
      String where) {
    return prepare(lhs, rhs, out, act, where, true);
  }

  private static AddRequant prepare(TensorType lhs, TensorType rhs, TensorType out,
      Activation act, String where, boolean floatRatios) {
    float s1 = TensorScales.scale(lhs, "lhs", where);
    float s2 = TensorScales.scale(rhs, "rhs", where);
    float so = TensorScales.scale(out, "output", where);
    int leftShift = out.dtype() == DType.INT16 ? 15 : 20;
    double real1;
    double real2;
    double realOut;
    if (floatRatios) {
      float twiceMaxInputScale = 2 * Math.max(s1, s2);
      real1 = (double) (s1 / twiceMaxInputScale);
      real2 = (double) (s2 / twiceMaxInputScale);
      realOut = (double) (twiceMaxInputScale / ((1 << leftShift) * so));
    } else {
      double twiceMaxInputScale = 2 * (double) Math.max(s1, s2);
      real1 = (double) s1 / twiceMaxInputScale;
      real2 = (double) s2 / twiceMaxInputScale;
      realOut = twiceMaxInputScale / ((1 << leftShift) * (double) so);
    }
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
