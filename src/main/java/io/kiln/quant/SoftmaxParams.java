package io.kiln.quant;

import io.kiln.KilnException;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * Prepared int8-input softmax (TFLM {@code CalculateSoftmaxParams}): beta times the input scale
 * as a multiplier that rescales input differences to Q5.26, and the most negative difference that
 * still contributes ({@code diffMin}); smaller ones underflow exp and are skipped.
 */
public record SoftmaxParams(QuantizedMultiplier inputBeta, int diffMin) {

  /** Integer bits of the rescaled input difference fed to exp (Q5.26). */
  public static final int SCALED_DIFF_INTEGER_BITS = 5;

  /**
   * {@code PreprocessSoftmaxScaling} with 5 integer bits, then
   * {@code diff_min = -1.0 * CalculateInputRadius(5, left_shift)}, computed in double and stored
   * in an int as TFLM does.
   */
  public static SoftmaxParams int8(float beta, TensorType in, String where) {
    QuantizedMultiplier m;
    try {
      m = FixedPoint.preprocessSoftmaxScaling(beta, TensorScales.scale(in, "input", where),
          SCALED_DIFF_INTEGER_BITS);
    } catch (IllegalArgumentException e) {
      throw new KilnException(where + ": " + e.getMessage());
    }
    int diffMin = (int) (-1.0
        * FixedPoint.calculateInputRadius(SCALED_DIFF_INTEGER_BITS, m.shift(), 31));
    return new SoftmaxParams(m, diffMin);
  }
}
