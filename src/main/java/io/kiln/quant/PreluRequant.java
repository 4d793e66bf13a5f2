package io.kiln.quant;

import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * The prepared arithmetic of a quantized PRelu (TFLM prelu_common.cc and
 * reference_ops::BroadcastPrelu4DSlow): non-negative inputs are requantized by
 * input_scale / output_scale, negative ones multiplied by their (offset) alpha and requantized by
 * input_scale * alpha_scale / output_scale, both multipliers computed in double.
 *
 * @param inputOffset minus the input zero point
 * @param alphaOffset minus the alpha zero point
 * @param outputOffset the output zero point
 * @param identity the multiplier of non-negative inputs
 * @param alpha the multiplier of products with alpha
 * @param min lower clamp (the output dtype's minimum)
 * @param max upper clamp (the output dtype's maximum)
 */
public record PreluRequant(int inputOffset, int alphaOffset, int outputOffset,
    QuantizedMultiplier identity, QuantizedMultiplier alpha, int min, int max) {

  public static PreluRequant of(float inputScale, int inputZeroPoint, float alphaScale,
      int alphaZeroPoint, float outputScale, int outputZeroPoint, int min, int max) {
    double real1 = (double) inputScale / (double) outputScale;
    double real2 = (double) inputScale * (double) alphaScale / (double) outputScale;
    return new PreluRequant(-inputZeroPoint, -alphaZeroPoint, outputZeroPoint,
        FixedPoint.quantizeMultiplier(real1), FixedPoint.quantizeMultiplier(real2), min, max);
  }

  /**
   * One element with its alpha. For 8- and 16-bit inputs with an 8-bit alpha the product of the
   * offset values stays below 2^25, inside int32.
   */
  public int apply(int x, int a) {
    int input = inputOffset + x;
    int out;
    if (input >= 0) {
      out = FixedPoint.multiplyByQuantizedMultiplier(input, identity.multiplier(),
          identity.shift());
    } else {
      out = FixedPoint.multiplyByQuantizedMultiplier(input * (alphaOffset + a),
          alpha.multiplier(), alpha.shift());
    }
    out += outputOffset;
    return Math.min(max, Math.max(min, out));
  }
}
