package io.kiln.quant;

import io.kiln.KilnException;

/**
 * The prepared arithmetic of TFLite's quantized HardSwish (8-bit in and out): the input is
 * moved to a "high-resolution" scale (x 2^7), multiplied by a 16-bit output multiplier, and by a
 * "relu-ish" factor in [0, 1] that is the input rescaled so that 3.0 maps to 2^15, saturated,
 * then shifted into [0, 1]. All intermediates are int16 as in TFLite's reference kernel, so
 * {@link #apply} narrows wherever the reference stores an {@code int16_t}. The interpreter
 * evaluates {@link #apply}; the C code generator emits the same steps.
 *
 * @param inputZeroPoint subtracted from each input
 * @param outputZeroPoint added to each result
 * @param outputMultiplier 16-bit fixed-point multiplier of hires_input_scale / output_scale
 * @param outputExponent its exponent, at most 0 (a right shift)
 * @param reluishMultiplier 16-bit fixed-point multiplier of hires_input_scale / (3 / 2^15)
 * @param reluishExponent its exponent (a left shift when positive)
 * @param min lower clamp (the output dtype's minimum)
 * @param max upper clamp (the output dtype's maximum)
 */
public record HardSwishRequant(int inputZeroPoint, int outputZeroPoint, short outputMultiplier,
    int outputExponent, short reluishMultiplier, int reluishExponent, int min, int max) {

  /** Prepare: the scales are combined in float, as TFLite does, then quantized. */
  public static HardSwishRequant of(float inputScale, int inputZeroPoint, float outputScale,
      int outputZeroPoint, int min, int max, String where) {
    float hiresInputScale = (1.0f / 128.0f) * inputScale;
    float reluishScale = 3.0f / 32768.0f;
    FixedPoint.QuantizedMultiplier out =
        FixedPoint.quantizeMultiplier((double) (hiresInputScale / outputScale));
    if (out.shift() > 0) {
      throw new KilnException(where + ": HardSwish needs input_scale / 128 / output_scale below"
          + " 1 (TFLite's output multiplier exponent " + out.shift() + " > 0)");
    }
    FixedPoint.QuantizedMultiplier reluish =
        FixedPoint.quantizeMultiplier((double) (hiresInputScale / reluishScale));
    return new HardSwishRequant(inputZeroPoint, outputZeroPoint,
        downscaleToInt16(out.multiplier()), out.shift(), downscaleToInt16(reluish.multiplier()),
        reluish.shift(), min, max);
  }

  /** TFLite's DownScaleInt32ToInt16Multiplier: the top 16 bits, rounded, saturated. */
  static short downscaleToInt16(int multiplier) {
    if (multiplier < 0) {
      throw new IllegalArgumentException("negative multiplier " + multiplier);
    }
    int rounding = 1 << 15;
    if (multiplier >= Integer.MAX_VALUE - rounding) {
      return Short.MAX_VALUE;
    }
    return (short) ((multiplier + rounding) >> 16);
  }

  /** One element; the casts to short are the reference's int16_t stores. */
  public int apply(int x) {
    short input = (short) (x - inputZeroPoint);
    // At most 255 * 128 for 8-bit inputs: fits an int16.
    short hires = (short) (input * (1 << 7));
    short preshiftOutput = srdhm16(hires, outputMultiplier);
    short reluish = hires;
    if (reluishExponent > 0) {
      reluish = saturatingLeftShift16(reluish, reluishExponent - 1);
    }
    reluish = srdhm16(reluish, reluishMultiplier);
    if (reluishExponent > 0) {
      reluish = saturatingLeftShift16(reluish, 1);
    }
    if (reluishExponent < 0) {
      reluish = roundingDivideByPot16(reluish, -reluishExponent);
    }
    // From [-1, 1] to [0, 1] in Q0.15.
    reluish = (short) ((reluish + (1 << 15)) >> 1);
    short preshift = sdhm16(reluish, preshiftOutput);
    short output = roundingDivideByPot16(preshift, -outputExponent);
    output = (short) (output + outputZeroPoint);
    return Math.max(min, Math.min(max, output));
  }

  /** gemmlowp's SaturatingRoundingDoublingHighMul on int16: round half away from zero. */
  public static short srdhm16(short a, short b) {
    if (a == b && a == Short.MIN_VALUE) {
      return Short.MAX_VALUE;
    }
    int ab = a * b;
    int nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
    // C's division truncates toward zero, like Java's.
    return (short) ((ab + nudge) / (1 << 15));
  }

  /** TFLite's SaturatingDoublingHighMul on int16: like srdhm16 but truncating toward zero. */
  public static short sdhm16(short a, short b) {
    if (a == b && a == Short.MIN_VALUE) {
      return Short.MAX_VALUE;
    }
    return (short) ((a * b) / (1 << 15));
  }

  /** gemmlowp's RoundingDivideByPOT on int16: nearest, ties away from zero. */
  public static short roundingDivideByPot16(short x, int exponent) {
    // The mask is an int16 as in gemmlowp (so exponents of 16 and more wrap it to -1).
    int mask = (short) ((1L << exponent) - 1);
    int remainder = x & mask;
    int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (short) ((x >> exponent) + (remainder > threshold ? 1 : 0));
  }

  /** TFLite's SaturatingLeftShift on int16. */
  public static short saturatingLeftShift16(short value, int amount) {
    long r = (long) value * (1L << amount);
    return (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, r));
  }
}
