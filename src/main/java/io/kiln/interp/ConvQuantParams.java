package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * The output stage of a quantized weighted operator (conv, depthwise, transpose conv, fully
 * connected), computed once at prepare time: input/output offsets, one Q31 multiplier and shift per
 * output channel, the activation clamp, and whether the accumulator is 32 or 64 bits wide. Run
 * loops only read it.
 */
record ConvQuantParams(int inputOffset, int outputOffset, int[] multipliers, int[] shifts,
    ActivationRange range, boolean wideAccumulator) {

  /**
   * TFLite's {@code PopulateConvolutionQuantizationParams}: per output channel,
   * {@code (double) inputScale * (double) filterScale / (double) outputScale} goes through
   * {@code QuantizeMultiplier}; a per-tensor weight scale is broadcast to every channel.
   */
  static ConvQuantParams perChannel(String where, TensorType in, TensorType w, TensorType out,
      int channels, Activation act, boolean wideAccumulator) {
    float[] filterScales = filterScales(where, w, channels);
    int[] multipliers = new int[channels];
    int[] shifts = new int[channels];
    double inputScale = in.quant().scale();
    double outputScale = out.quant().scale();
    for (int c = 0; c < channels; c++) {
      double effective = inputScale * (double) filterScales[c] / outputScale;
      QuantizedMultiplier q = FixedPoint.quantizeMultiplier(effective);
      multipliers[c] = q.multiplier();
      shifts[c] = q.shift();
    }
    return new ConvQuantParams(-(int) in.quant().zeroPoint(), (int) out.quant().zeroPoint(),
        multipliers, shifts, ActivationRange.quantized(act, out, where), wideAccumulator);
  }

  /** The weight scale of every output channel (a per-tensor scale repeated). */
  static float[] filterScales(String where, TensorType w, int channels) {
    float[] scales = new float[channels];
    switch (w.quant()) {
      case Quantization.PerTensor p -> java.util.Arrays.fill(scales, p.scale());
      case Quantization.PerAxis p when p.channels() == 1 -> java.util.Arrays.fill(scales,
          p.scale(0));
      case Quantization.PerAxis p -> {
        if (p.channels() != channels) {
          throw new KilnException(where + ": weights have " + p.channels() + " scales for "
              + channels + " output channels");
        }
        for (int c = 0; c < channels; c++) {
          scales[c] = p.scale(c);
        }
      }
      case Quantization.None n -> throw new KilnException(where + ": integer weights are not"
          + " quantized");
    }
    return scales;
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
    int scaled = wideAccumulator
        ? FixedPoint.multiplyByQuantizedMultiplier(acc, multipliers[c], shifts[c])
        : FixedPoint.multiplyByQuantizedMultiplier((int) acc, multipliers[c], shifts[c]);
    // An int32 addition as in TFLite; it could only wrap for a scaled value within 255 of
    // INT32_MAX, which a sane multiplier never produces, and then wraps the same way.
    return range.clamp(scaled + outputOffset);
  }
}
