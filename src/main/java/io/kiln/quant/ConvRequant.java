package io.kiln.quant;

import io.kiln.KilnException;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import java.util.Arrays;

/**
 * The requantization of a weighted operator's accumulator (conv, depthwise, transpose conv, fully
 * connected): one Q31 multiplier and shift per output channel, computed at prepare time exactly
 * as TFLite Micro computes them. Readers index it; nothing mutates it.
 */
public record ConvRequant(int[] multipliers, int[] shifts) {

  public ConvRequant {
    if (multipliers.length != shifts.length) {
      throw new IllegalArgumentException(multipliers.length + " multipliers but " + shifts.length
          + " shifts");
    }
    multipliers = multipliers.clone();
    shifts = shifts.clone();
  }

  /**
   * TFLite's {@code PopulateConvolutionQuantizationParams} (conv, depthwise, transpose conv, and
   * FC with per-channel weights): per output channel,
   * {@code (double) inputScale * (double) filterScale / (double) outputScale} goes through
   * {@code QuantizeMultiplier}; a per-tensor weight scale is broadcast to every channel.
   */
  public static ConvRequant convolution(TensorType in, TensorType filter, TensorType out,
      int channels, String where) {
    float[] filterScales = filterScales(filter, channels, where);
    double inputScale = TensorScales.scale(in, "input", where);
    double outputScale = TensorScales.scale(out, "output", where);
    int[] multipliers = new int[channels];
    int[] shifts = new int[channels];
    for (int c = 0; c < channels; c++) {
      QuantizedMultiplier q = FixedPoint.quantizeMultiplier(
          inputScale * (double) filterScales[c] / outputScale);
      multipliers[c] = q.multiplier();
      shifts[c] = q.shift();
    }
    return new ConvRequant(multipliers, shifts);
  }

  /**
   * Fully connected (TFLM {@code CalculateOpDataFullyConnected}): per-channel weights as for
   * {@link #convolution}; per-tensor weights through {@code GetQuantizedConvolutionMultipler},
   * which multiplies the input and weight scales in float before widening to double, so the last
   * multiplier bit can differ from the per-channel formula.
   */
  public static ConvRequant fullyConnected(TensorType in, TensorType weights, TensorType out,
      int channels, String where) {
    if (weights.quant() instanceof Quantization.PerAxis p && p.channels() > 1) {
      return convolution(in, weights, out, channels, where);
    }
    float product = TensorScales.scale(in, "input", where) * filterScales(weights, 1, where)[0];
    QuantizedMultiplier q = FixedPoint.quantizeMultiplier(
        (double) product / (double) TensorScales.scale(out, "output", where));
    int[] multipliers = new int[channels];
    int[] shifts = new int[channels];
    Arrays.fill(multipliers, q.multiplier());
    Arrays.fill(shifts, q.shift());
    return new ConvRequant(multipliers, shifts);
  }

  /** The weight scale of every output channel (a per-tensor scale repeated). */
  private static float[] filterScales(TensorType w, int channels, String where) {
    float[] scales = new float[channels];
    switch (w.quant()) {
      case Quantization.PerTensor p -> Arrays.fill(scales, p.scale());
      case Quantization.PerAxis p when p.channels() == 1 -> Arrays.fill(scales, p.scale(0));
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

  public int channels() {
    return multipliers.length;
  }

  public int multiplier(int channel) {
    return multipliers[channel];
  }

  public int shift(int channel) {
    return shifts[channel];
  }

  /** A copy: the record stays immutable. */
  @Override
  public int[] multipliers() {
    return multipliers.clone();
  }

  /** A copy: the record stays immutable. */
  @Override
  public int[] shifts() {
    return shifts.clone();
  }

  /** Whether the channels differ, so that a table is needed rather than one multiplier/shift. */
  public boolean perChannel() {
    for (int i = 1; i < multipliers.length; i++) {
      if (multipliers[i] != multipliers[0] || shifts[i] != shifts[0]) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConvRequant r && Arrays.equals(multipliers, r.multipliers)
        && Arrays.equals(shifts, r.shifts);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(multipliers) + Arrays.hashCode(shifts);
  }

  @Override
  public String toString() {
    return "ConvRequant[multipliers=" + Arrays.toString(multipliers) + ", shifts="
        + Arrays.toString(shifts) + "]";
  }
}
