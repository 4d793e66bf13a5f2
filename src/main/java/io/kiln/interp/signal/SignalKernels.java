package io.kiln.interp.signal;

import io.kiln.interp.Kernel;
import io.kiln.interp.Stateful;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Shape;
import io.kiln.ir.SignalOp;

/**
 * Interpreter kernels of the audio front-end operators: each prepares its constants once and
 * runs {@link SignalMath}; the noise estimate keeps its state in the kernel between inferences.
 */
public final class SignalKernels {
  private SignalKernels() {}

  public static Kernel prepare(Graph g, Node n, SignalOp op) {
    Shape outShape = g.output(n).shape();
    DType outType = g.output(n).dtype();
    return switch (op) {
      case SignalOp.Window w -> in -> {
        Tensor out = Tensor.zeros(outType, outShape);
        SignalMath.window(in[SignalOp.Window.INPUT].ints, in[SignalOp.Window.WEIGHTS].ints,
            w.shift(), out.ints);
        return out;
      };
      case SignalOp.FftAutoScale a -> in -> {
        int[] x = in[SignalOp.FftAutoScale.INPUT].ints;
        Tensor out = Tensor.zeros(outType, outShape);
        SignalMath.fftAutoScale(x, SignalMath.fftScaleBits(x), out.ints);
        return out;
      };
      case SignalOp.FftScaleBits b -> in -> Tensor.ofInts(outType, outShape,
          new int[] {SignalMath.fftScaleBits(in[SignalOp.FftScaleBits.INPUT].ints)});
      case SignalOp.Rfft r -> rfft(r, g.input(n, SignalOp.Rfft.INPUT).shape(), outType, outShape);
      case SignalOp.Energy e -> in -> {
        Tensor out = Tensor.zeros(outType, outShape);
        SignalMath.energy(in[SignalOp.Energy.INPUT].ints, e.startIndex(), e.endIndex(), out.ints);
        return out;
      };
      case SignalOp.FilterBank f -> in -> {
        Tensor out = Tensor.zeros(outType, outShape);
        int[] freq = in[SignalOp.FilterBank.FREQUENCY_STARTS].ints;
        int[] ws = in[SignalOp.FilterBank.WEIGHT_STARTS].ints;
        int[] widths = in[SignalOp.FilterBank.WIDTHS].ints;
        int[] energy = in[SignalOp.FilterBank.INPUT].ints;
        int weights = in[SignalOp.FilterBank.WEIGHTS].elements();
        checkTables(f.numChannels(), freq, ws, widths, energy.length, weights);
        SignalMath.filterBank(energy, in[SignalOp.FilterBank.WEIGHTS].ints,
            in[SignalOp.FilterBank.UNWEIGHTS].ints, freq, ws, widths, f.numChannels(), out.longs);
        return out;
      };
      case SignalOp.FilterBankSquareRoot s -> in -> {
        Tensor out = Tensor.zeros(outType, outShape);
        int bits = in[SignalOp.FilterBankSquareRoot.SCALE_BITS].ints[0];
        if (bits < 0 || bits > 31) {
          throw new io.kiln.KilnException("SignalFilterBankSquareRoot: scale bits " + bits
              + " outside [0, 31]");
        }
        SignalMath.filterBankSqrt(in[SignalOp.FilterBankSquareRoot.INPUT].longs, bits, out.ints);
        return out;
      };
      case SignalOp.NoiseEstimate e -> new NoiseEstimateKernel(SignalMath.SpectralParams.of(e.config()), outType,
          outShape);
      case SignalOp.SpectralSubtraction s -> in -> {
        Tensor out = Tensor.zeros(outType, outShape);
        SignalMath.spectralSubtraction(SignalMath.SpectralParams.of(s.config()),
            in[SignalOp.SpectralSubtraction.INPUT].ints,
            in[SignalOp.SpectralSubtraction.NOISE_ESTIMATE].ints, out.ints);
        return out;
      };
      case SignalOp.Pcan p -> {
        if (g.input(n, SignalOp.Pcan.GAIN_LUT).shape().elements() < 4 * 32 - 6 + 3) {
          throw new io.kiln.KilnException("SignalPCAN: the gain table needs 125 entries");
        }
        yield in -> {
          Tensor out = Tensor.zeros(outType, outShape);
          SignalMath.pcan(in[SignalOp.Pcan.INPUT].ints, in[SignalOp.Pcan.NOISE_ESTIMATE].ints,
              in[SignalOp.Pcan.GAIN_LUT].ints, p.snrShift(), out.ints);
          return out;
        };
      }
      case SignalOp.FilterBankLog l -> in -> {
        Tensor out = Tensor.zeros(outType, outShape);
        SignalMath.filterBankLog(in[SignalOp.FilterBankLog.INPUT].ints,
            l.inputCorrectionBits(), l.outputScale(), out.ints);
        return out;
      };
    };
  }

  private static Kernel rfft(SignalOp.Rfft r, Shape inShape, DType outType, Shape outShape) {
    KissFftr fft = new KissFftr(r.fftLength());
    int rowIn = inShape.dim(-1);
    int rowOut = outShape.dim(-1);
    int rows = inShape.elements() / Math.max(rowIn, 1);
    return in -> {
      Tensor out = Tensor.zeros(outType, outShape);
      int[] x = in[SignalOp.Rfft.INPUT].ints;
      int[] padded = new int[r.fftLength()];
      int[] bins = new int[rowOut];
      for (int row = 0; row < rows; row++) {
        java.util.Arrays.fill(padded, 0);
        System.arraycopy(x, row * rowIn, padded, 0, rowIn);
        fft.forward(padded, bins);
        System.arraycopy(bins, 0, out.ints, row * rowOut, rowOut);
      }
      return out;
    };
  }

  /** The channel tables must stay inside the energy and weight arrays, or C would read past. */
  private static void checkTables(int channels, int[] freq, int[] ws, int[] widths, int bins,
      int weights) {
    for (int i = 0; i <= channels; i++) {
      if (widths[i] < 0 || freq[i] < 0 || ws[i] < 0 || freq[i] + widths[i] > bins
          || ws[i] + widths[i] > weights) {
        throw new io.kiln.KilnException("SignalFilterBank: channel " + i + " reads bins ["
            + freq[i] + ", " + (freq[i] + widths[i]) + ") of " + bins + " or weights ["
            + ws[i] + ", " + (ws[i] + widths[i]) + ") of " + weights);
      }
    }
  }

  /** The spectral-subtraction noise estimate: state that starts at zero. */
  private static final class NoiseEstimateKernel implements Kernel, Stateful {
    private final SignalMath.SpectralParams params;
    private final DType outType;
    private final Shape outShape;
    private final int[] noise;

    NoiseEstimateKernel(SignalMath.SpectralParams params, DType outType, Shape outShape) {
      this.params = params;
      this.outType = outType;
      this.outShape = outShape;
      this.noise = new int[outShape.elements()];
    }

    @Override
    public Tensor run(Tensor[] in) {
      SignalMath.noiseEstimate(params, in[SignalOp.NoiseEstimate.INPUT].ints, noise);
      return Tensor.ofInts(outType, outShape, noise.clone());
    }

    @Override
    public void reset() {
      java.util.Arrays.fill(noise, 0);
    }

    @Override
    public long stateBytes() {
      return 4L * noise.length;
    }
  }
}
