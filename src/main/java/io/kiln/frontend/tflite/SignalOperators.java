package io.kiln.frontend.tflite;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.SignalOp;
import java.util.List;
import java.util.Map;

/**
 * Maps TFLM's {@code Signal*} custom operators (the audio front-end) onto IR nodes. Their options
 * are FlexBuffers maps read by {@link FlexOptions}; TFLM reads them by their position in the
 * sorted key order, Kiln by name, which is the same thing for well-formed models. An operator
 * with two outputs becomes two nodes, one per output (see {@link SignalOp}).
 */
final class SignalOperators {
  private SignalOperators() {}

  /** One IR node: its operator, the TFLite tensor per input slot (-1 absent), its output tensor. */
  record Part(Op op, int[] inputs, int output) {}

  /** Custom code → {inputs, outputs}. */
  private static final Map<String, int[]> ARITY = Map.of(
      "SignalWindow", new int[] {2, 1},
      "SignalFftAutoScale", new int[] {1, 2},
      "SignalRfft", new int[] {1, 1},
      "SignalEnergy", new int[] {1, 1},
      "SignalFilterBank", new int[] {6, 1},
      "SignalFilterBankSquareRoot", new int[] {2, 1},
      "SignalFilterBankSpectralSubtraction", new int[] {1, 2},
      "SignalPCAN", new int[] {3, 1},
      "SignalFilterBankLog", new int[] {1, 1});

  static boolean supported(String customCode) {
    return customCode != null && ARITY.containsKey(customCode);
  }

  static List<Part> map(String name, FlexOptions o, int[] in, int[] out,
      TfliteOperators.Tensors t, String where) {
    int[] arity = ARITY.get(name);
    if (in.length != arity[0] || out.length != arity[1]) {
      throw new KilnException(where + " has " + in.length + " inputs and " + out.length
          + " outputs, expected " + arity[0] + " and " + arity[1]);
    }
    return switch (name) {
      case "SignalWindow" -> List.of(part(new SignalOp.Window(shift(o, "shift", 31)), in, out[0]));
      case "SignalFftAutoScale" -> List.of(
          part(new SignalOp.FftAutoScale(), in, out[0]),
          part(new SignalOp.FftScaleBits(), in, out[1]));
      case "SignalRfft" -> {
        DType type = t.type(in[0]).dtype();
        if (type != DType.INT16) {
          throw new KilnException(where + ": only the int16 SignalRfft is supported, this one is "
              + type.shortName());
        }
        yield List.of(part(new SignalOp.Rfft(o.int32("fft_length")), in, out[0]));
      }
      case "SignalEnergy" -> List.of(part(new SignalOp.Energy(o.int32("start_index"),
          o.int32("end_index")), in, out[0]));
      case "SignalFilterBank" -> List.of(part(new SignalOp.FilterBank(
          nonNegative(o, "num_channels")), in, out[0]));
      case "SignalFilterBankSquareRoot" -> List.of(part(new SignalOp.FilterBankSquareRoot(), in,
          out[0]));
      case "SignalFilterBankSpectralSubtraction" -> {
        SignalOp.SpectralConfig c = spectral(o);
        // The estimate is computed first; the subtraction reads it (TFLM's second output).
        yield List.of(part(new SignalOp.NoiseEstimate(c), in, out[1]),
            part(new SignalOp.SpectralSubtraction(c), new int[] {in[0], out[1]}, out[0]));
      }
      case "SignalPCAN" -> List.of(part(new SignalOp.Pcan(shift(o, "snr_shift", 63)), in,
          out[0]));
      case "SignalFilterBankLog" -> List.of(part(new SignalOp.FilterBankLog(
          shift(o, "input_correction_bits", 31), o.int32("output_scale")), in, out[0]));
      default -> throw new IllegalStateException(name);
    };
  }

  private static SignalOp.SpectralConfig spectral(FlexOptions o) {
    return new SignalOp.SpectralConfig(nonNegative(o, "num_channels"), u32(o, "smoothing"),
        u32(o, "one_minus_smoothing"), u32(o, "alternate_smoothing"),
        u32(o, "alternate_one_minus_smoothing"), u32(o, "min_signal_remaining"),
        o.int32("smoothing_bits"), o.int32("spectral_subtraction_bits"), o.bool("clamping"));
  }

  /** TFLM keeps these as uint32 (read through int32): the low 32 bits, unsigned. */
  private static long u32(FlexOptions o, String key) {
    return Integer.toUnsignedLong(o.int32(key));
  }

  private static int nonNegative(FlexOptions o, String key) {
    int v = o.int32(key);
    if (v < 0) {
      throw new KilnException("custom option '" + key + "' is negative: " + v);
    }
    return v;
  }

  private static int shift(FlexOptions o, String key, int max) {
    int v = o.int32(key);
    if (v < 0 || v > max) {
      throw new KilnException("custom option '" + key + "' = " + v + " is not a shift in [0, "
          + max + "]");
    }
    return v;
  }

  private static Part part(SignalOp op, int[] in, int out) {
    return new Part(new Op.Signal(op), in.clone(), out);
  }
}
