package io.kiln.quant;

import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * The prepared arithmetic of a quantized LeakyRelu (TFLM leaky_relu_common.cc and
 * reference_ops::QuantizeLeakyRelu): non-negative inputs are requantized by input_scale /
 * output_scale, negative ones by input_scale * alpha / output_scale, then clamped. The
 * interpreter evaluates {@link #apply}; the C code generator emits the same steps.
 *
 * @param inputZeroPoint subtracted from each input
 * @param outputZeroPoint added to each result
 * @param identity the multiplier of non-negative inputs
 * @param alpha the multiplier of negative inputs; negative when alpha is
 * @param min lower clamp (the output dtype's minimum)
 * @param max upper clamp (the output dtype's maximum)
 */
public record LeakyReluRequant(int inputZeroPoint, int outputZeroPoint,
    QuantizedMultiplier identity, QuantizedMultiplier alpha, int min, int max) {

  /** Both real multipliers are computed in float, as TFLM does, then widened to double. */
  public static LeakyReluRequant of(float inputScale, int inputZeroPoint, float outputScale,
      int outputZeroPoint, float alpha, int min, int max) {
    double alphaMultiplier = (double) (inputScale * alpha / outputScale);
    double identityMultiplier = (double) (inputScale / outputScale);
    return new LeakyReluRequant(inputZeroPoint, outputZeroPoint,
        FixedPoint.quantizeMultiplier(identityMultiplier),
        FixedPoint.quantizeMultiplier(alphaMultiplier), min, max);
  }

  /** Whether the alpha multiplier is applied as its magnitude and the product negated. */
  public boolean negativeAlpha() {
    return alpha.multiplier() < 0;
  }

  /**
   * One element. A negative alpha multiplier is applied as its magnitude and the product
   * negated, as TFLite does to keep the multiplier non-negative. Inputs are at most 16 bits, so
   * {@code x - zeroPoint} fits an int32 and the requantization cannot overflow before its shift.
   */
  public int apply(int x) {
    int input = x - inputZeroPoint;
    int unclamped = outputZeroPoint;
    if (input >= 0) {
      unclamped += FixedPoint.multiplyByQuantizedMultiplier(input, identity.multiplier(),
          identity.shift());
    } else {
      int safe = negativeAlpha() ? -alpha.multiplier() : alpha.multiplier();
      int scaled = FixedPoint.multiplyByQuantizedMultiplier(input, safe, alpha.shift());
      unclamped += negativeAlpha() ? -scaled : scaled;
    }
    return Math.min(max, Math.max(min, unclamped));
  }
}
