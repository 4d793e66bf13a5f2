package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.ConvRequant;
import io.kiln.quant.FixedPoint;

/**
 * The output stage of a quantized weighted operator (conv, depthwise, transpose conv, fully
 * connected), prepared once: input/output offsets, the per-channel requantization and activation
 * clamp (both derived by {@code io.kiln.quant}), and whether the accumulator is 32 or 64 bits
 * wide. Run loops only read it.
 */
record ConvQuantParams(int inputOffset, int outputOffset, ConvRequant requant,
    ActivationRange range, boolean wideAccumulator) {

  /** The output stage of an operator whose accumulator {@code requant} rescales. */
  static ConvQuantParams of(String where, TensorType in, TensorType out, ConvRequant requant,
      Activation act, boolean wideAccumulator) {
    return new ConvQuantParams(-(int) in.quant().zeroPoint(), (int) out.quant().zeroPoint(),
        requant, ActivationRange.quantized(act, out, where), wideAccumulator);
  }

  /** Fails unless every weight zero point is 0: these kernels, like TFLite's, assume symmetric weights. */
  static void requireSymmetricWeights(String where, TensorType w, int channels) {
    for (int c = 0; c < channels; c++) {
      long zp = w.quant() instanceof Quantization.PerAxis p && p.channels() > 1
          ? p.zeroPoint(c) : w.quant().zeroPointAt(0);
      if (zp != 0) {
        throw new KilnException(where + ": the interpreter does not support weight zero point "
            + zp + " (channel " + c + "); weights must be symmetric");
      }
    }
  }

  /**
   * Scales one accumulator of output channel {@code c} into the output's integer domain:
   * TFLite's {@code MultiplyByQuantizedMultiplier}, then the output offset and the clamp.
   * A 32-bit accumulator was summed in a {@code long}; keeping its low 32 bits reproduces
   * exactly the two's-complement wrap TFLite's int32 sum would have had.
   */
  int requantize(long acc, int c) {
    int multiplier = requant.multiplier(c);
    int shift = requant.shift(c);
    int scaled = wideAccumulator
        ? FixedPoint.multiplyByQuantizedMultiplier(acc, multiplier, shift)
        : FixedPoint.multiplyByQuantizedMultiplier((int) acc, multiplier, shift);
    // An int32 addition as in TFLite; it could only wrap for a scaled value within 255 of
    // INT32_MAX, which a sane multiplier never produces, and then wraps the same way.
    return range.clamp(scaled + outputOffset);
  }
}
