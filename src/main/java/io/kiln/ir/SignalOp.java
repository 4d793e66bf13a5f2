package io.kiln.ir;

import io.kiln.KilnException;
import java.util.List;

/**
 * The fixed-point audio front-end operators of TensorFlow Lite Micro's signal library (the
 * {@code Signal*} custom operators), carried in the IR by {@link Op.Signal}. Each record says
 * its output shape and the element types it accepts. TFLM's two operators with two outputs are
 * split into two single-output operators each: {@code SignalFftAutoScale} into
 * {@link FftAutoScale} and {@link FftScaleBits}, {@code SignalFilterBankSpectralSubtraction} into
 * the stateful {@link NoiseEstimate} and the pure {@link SpectralSubtraction}, which computes
 * TFLM's output from the input and the updated estimate.
 */
public sealed interface SignalOp {

  /** The output shape for these input types ({@code null} entries are absent inputs). */
  Shape inferShape(List<TensorType> inputs);

  /** The element type of input slot {@code slot} this operator requires. */
  DType inputDType(int slot);

  DType outputDType();

  /** Whether the operator keeps state from one invocation to the next. */
  default boolean stateful() {
    return false;
  }

  /** The TFLM custom operator name (without the split suffix). */
  default String opName() {
    return "Signal" + getClass().getSimpleName();
  }

  /** {@code (x * window) >> shift}, saturated to int16, window repeated over the input. */
  record Window(int shift) implements SignalOp {
    public static final int INPUT = 0;
    public static final int WEIGHTS = 1;

    @Override
    public Shape inferShape(List<TensorType> in) {
      int w = shapeOf(in, WEIGHTS).elements();
      Shape x = shapeOf(in, INPUT);
      if (w == 0 || x.elements() % w != 0) {
        throw bad(this, "input " + x + " is not a whole number of " + w + "-sample windows");
      }
      return x;
    }

    @Override
    public DType inputDType(int slot) {
      return DType.INT16;
    }

    @Override
    public DType outputDType() {
      return DType.INT16;
    }
  }

  /** Shifts the frame left by {@link FftScaleBits} so its largest magnitude uses 15 bits. */
  record FftAutoScale() implements SignalOp {
    public static final int INPUT = 0;

    @Override
    public Shape inferShape(List<TensorType> in) {
      return rank1(this, in, INPUT);
    }

    @Override
    public DType inputDType(int slot) {
      return DType.INT16;
    }

    @Override
    public DType outputDType() {
      return DType.INT16;
    }
  }

  /** The scale-bits output of TFLM's FftAutoScale: an int32 scalar. */
  record FftScaleBits() implements SignalOp {
    public static final int INPUT = 0;

    @Override
    public Shape inferShape(List<TensorType> in) {
      rank1(this, in, INPUT);
      return Shape.scalar();
    }

    @Override
    public DType inputDType(int slot) {
      return DType.INT16;
    }

    @Override
    public DType outputDType() {
      return DType.INT32;
    }

    @Override
    public String opName() {
      return "SignalFftAutoScale.scale_bits";
    }
  }

  /**
   * Real FFT of each innermost row, zero-padded to {@code fftLength}; the output interleaves
   * (real, imag) of the fftLength/2+1 bins (kiss_fft's fixed-point algorithm, int16 only).
   */
  record Rfft(int fftLength) implements SignalOp {
    public static final int INPUT = 0;

    public Rfft {
      if (fftLength < 4 || fftLength > 1 << 16 || Integer.bitCount(fftLength) != 1) {
        throw new KilnException("SignalRfft fft_length " + fftLength
            + " is not supported (a power of two from 4 to 65536 is)");
      }
    }

    @Override
    public Shape inferShape(List<TensorType> in) {
      Shape x = shapeOf(in, INPUT);
      if (x.rank() == 0 || x.dim(-1) > fftLength) {
        throw bad(this, "input " + x + " has rows longer than fft_length " + fftLength);
      }
      return x.withDim(x.rank() - 1, fftLength + 2);
    }

    @Override
    public DType inputDType(int slot) {
      return DType.INT16;
    }

    @Override
    public DType outputDType() {
      return DType.INT16;
    }
  }

  /** real^2 + imag^2 of bins [startIndex, endIndex); the other bins are 0. */
  record Energy(int startIndex, int endIndex) implements SignalOp {
    public static final int INPUT = 0;

    @Override
    public Shape inferShape(List<TensorType> in) {
      Shape x = rank1(this, in, INPUT);
      int bins = x.dim(0) / 2;
      if (x.dim(0) % 2 != 0 || startIndex < 0 || endIndex > bins || startIndex > endIndex) {
        throw bad(this, "bins [" + startIndex + ", " + endIndex + ") do not fit input " + x);
      }
      return Shape.of(bins);
    }

    @Override
    public DType inputDType(int slot) {
      return DType.INT16;
    }

    @Override
    public DType outputDType() {
      return DType.UINT32;
    }
  }

  /** Triangular (mel) filter bank: weighted sums of energy bins into uint64 channels. */
  record FilterBank(int numChannels) implements SignalOp {
    public static final int INPUT = 0;
    public static final int WEIGHTS = 1;
    public static final int UNWEIGHTS = 2;
    public static final int FREQUENCY_STARTS = 3;
    public static final int WEIGHT_STARTS = 4;
    public static final int WIDTHS = 5;

    @Override
    public Shape inferShape(List<TensorType> in) {
      rank1(this, in, INPUT);
      if (shapeOf(in, WEIGHTS).elements() != shapeOf(in, UNWEIGHTS).elements()) {
        throw bad(this, "weights and unweights differ in length");
      }
      for (int s = FREQUENCY_STARTS; s <= WIDTHS; s++) {
        if (shapeOf(in, s).elements() != numChannels + 1) {
          throw bad(this, "channel table " + s + " needs " + (numChannels + 1) + " entries");
        }
      }
      return Shape.of(numChannels);
    }

    @Override
    public DType inputDType(int slot) {
      return slot == INPUT ? DType.UINT32 : DType.INT16;
    }

    @Override
    public DType outputDType() {
      return DType.UINT64;
    }
  }

  /** Integer square root of each channel, shifted right by the FFT's scale bits. */
  record FilterBankSquareRoot() implements SignalOp {
    public static final int INPUT = 0;
    public static final int SCALE_BITS = 1;

    @Override
    public Shape inferShape(List<TensorType> in) {
      if (shapeOf(in, SCALE_BITS).elements() != 1) {
        throw bad(this, "scale bits must be a scalar");
      }
      return rank1(this, in, INPUT);
    }

    @Override
    public DType inputDType(int slot) {
      return slot == INPUT ? DType.UINT64 : DType.INT32;
    }

    @Override
    public DType outputDType() {
      return DType.UINT32;
    }
  }

  /** The parameters of TFLM's spectral subtraction (fixed point, scale 2^spectralSubtractionBits). */
  record SpectralConfig(int numChannels, long smoothing, long oneMinusSmoothing,
      long alternateSmoothing, long alternateOneMinusSmoothing, long minSignalRemaining,
      int smoothingBits, int spectralSubtractionBits, boolean clamping) {
    public SpectralConfig {
      if (smoothingBits < 0 || smoothingBits > 31 || spectralSubtractionBits < 0
          || spectralSubtractionBits > 63) {
        throw new KilnException("SignalFilterBankSpectralSubtraction: smoothing_bits "
            + smoothingBits + " / spectral_subtraction_bits " + spectralSubtractionBits
            + " out of range");
      }
    }
  }

  /**
   * The noise estimate after this frame: a low-pass filter of the signal kept as state across
   * invocations (zero after a reset), clamped to the signal when {@code clamping}.
   */
  record NoiseEstimate(SpectralConfig config) implements SignalOp {
    public static final int INPUT = 0;

    @Override
    public Shape inferShape(List<TensorType> in) {
      return channels(this, in, INPUT, config.numChannels());
    }

    @Override
    public DType inputDType(int slot) {
      return DType.UINT32;
    }

    @Override
    public DType outputDType() {
      return DType.UINT32;
    }

    @Override
    public boolean stateful() {
      return true;
    }

    @Override
    public String opName() {
      return "SignalFilterBankSpectralSubtraction.noise_estimate";
    }
  }

  /** The signal minus its noise estimate, floored at minSignalRemaining times the signal. */
  record SpectralSubtraction(SpectralConfig config) implements SignalOp {
    public static final int INPUT = 0;
    public static final int NOISE_ESTIMATE = 1;

    @Override
    public Shape inferShape(List<TensorType> in) {
      channels(this, in, NOISE_ESTIMATE, config.numChannels());
      return channels(this, in, INPUT, config.numChannels());
    }

    @Override
    public DType inputDType(int slot) {
      return DType.UINT32;
    }

    @Override
    public DType outputDType() {
      return DType.UINT32;
    }

    @Override
    public String opName() {
      return "SignalFilterBankSpectralSubtraction";
    }
  }

  /** Per-channel energy normalization: gain from the noise estimate via a LUT, then shrink. */
  record Pcan(int snrShift) implements SignalOp {
    public static final int INPUT = 0;
    public static final int NOISE_ESTIMATE = 1;
    public static final int GAIN_LUT = 2;

    @Override
    public Shape inferShape(List<TensorType> in) {
      Shape x = rank1(this, in, INPUT);
      channels(this, in, NOISE_ESTIMATE, x.dim(0));
      return x;
    }

    @Override
    public DType inputDType(int slot) {
      return slot == GAIN_LUT ? DType.INT16 : DType.UINT32;
    }

    @Override
    public DType outputDType() {
      return DType.UINT32;
    }

    @Override
    public String opName() {
      return "SignalPCAN";
    }
  }

  /** Fixed-point natural log of (x << inputCorrectionBits), times outputScale, capped at int16. */
  record FilterBankLog(int inputCorrectionBits, int outputScale) implements SignalOp {
    public static final int INPUT = 0;

    @Override
    public Shape inferShape(List<TensorType> in) {
      return rank1(this, in, INPUT);
    }

    @Override
    public DType inputDType(int slot) {
      return DType.UINT32;
    }

    @Override
    public DType outputDType() {
      return DType.INT16;
    }
  }

  /** Problems with the element types of one application, for the verifier. */
  static void checkTypes(SignalOp op, List<TensorType> ins, TensorType out, String where,
      List<String> problems) {
    for (int slot = 0; slot < ins.size(); slot++) {
      TensorType t = ins.get(slot);
      if (t != null && t.dtype() != op.inputDType(slot)) {
        problems.add(where + " input " + slot + " is " + t.dtype().shortName() + ", expected "
            + op.inputDType(slot).shortName());
      }
    }
    if (out.dtype() != op.outputDType()) {
      problems.add(where + " output is " + out.dtype().shortName() + ", expected "
          + op.outputDType().shortName());
    }
  }

  private static Shape shapeOf(List<TensorType> in, int slot) {
    if (slot >= in.size() || in.get(slot) == null) {
      throw new KilnException("missing input " + slot);
    }
    return in.get(slot).shape();
  }

  private static Shape rank1(SignalOp op, List<TensorType> in, int slot) {
    Shape s = shapeOf(in, slot);
    if (s.rank() != 1) {
      throw bad(op, "input " + slot + " must be rank 1, got " + s);
    }
    return s;
  }

  private static Shape channels(SignalOp op, List<TensorType> in, int slot, int n) {
    Shape s = rank1(op, in, slot);
    if (s.dim(0) != n) {
      throw bad(op, "input " + slot + " " + s + " must have " + n + " channels");
    }
    return s;
  }

  private static KilnException bad(SignalOp op, String what) {
    return new KilnException(op.opName() + ": " + what);
  }
}
