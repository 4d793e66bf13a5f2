package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * Reference Mean over a set of axes (int8, int16, float32), following TFLite Micro's reduce
 * kernels: an int32 sum per output, then one requantization whose multiplier already folds in the
 * division by the element count ({@code QuantizedMeanOrSum}); floats sum in float in input order.
 *
 * <p>TFLite Micro at the reference commit sends every int8/int16 mean through that requantizing
 * path, also when input and output share scale and zero point, so there is no separate fast path.
 */
final class MeanKernel {
  private MeanKernel() {}

  /**
   * Prepared parameters: for each input element (row-major) the output element it adds to, the
   * number of elements per output, and for integers the count-adjusted multiplier and shift.
   */
  private record MeanParams(TensorType out, int[] outputOf, long count, int inputZeroPoint,
      int outputZeroPoint, int multiplier, int shift, int qmin, int qmax) {}

  static Kernel prepare(Graph g, Node n, Op.Mean op) {
    String where = ConvKernels.where(g, n);
    TensorType in = g.input(n, Op.Mean.INPUT).type();
    TensorType out = g.output(n).type();
    if (in.dtype() != out.dtype()) {
      throw new KilnException(where + ": output is " + out.dtype().shortName() + " but input is "
          + in.dtype().shortName());
    }
    Shape s = in.shape();
    boolean[] reduced = new boolean[s.rank()];
    long count = 1;
    for (int a : op.axes()) {
      if (a < 0 || a >= s.rank()) {
        throw new KilnException(where + ": axis " + a + " out of range for " + s);
      }
      if (!reduced[a]) {
        reduced[a] = true;
        count *= s.dim(a);
      }
    }
    int[] outputOf = outputIndexOfEachInput(s, reduced);
    return switch (in.dtype()) {
      case FLOAT32 -> {
        MeanParams p = new MeanParams(out, outputOf, count, 0, 0, 0, 0, 0, 0);
        yield args -> runFloat(p, args[Op.Mean.INPUT]);
      }
      case INT8, INT16 -> {
        MeanParams p = quantized(in, out, outputOf, count);
        yield args -> runInt(p, args[Op.Mean.INPUT]);
      }
      default -> throw new KilnException(where + ": the interpreter does not support Mean on "
          + in.dtype().shortName());
    };
  }

  /**
   * The multiplier of {@code inputScale / outputScale}, then divided by the element count: the
   * count's floor(log2) moves into the shift (at most 32, and never below TFLite's -31 limit)
   * and the multiplier is divided by the count after shifting left by as much. TFLite does this
   * at every evaluation; it depends on static shapes only, so it happens here once.
   */
  private static MeanParams quantized(TensorType in, TensorType out, int[] outputOf, long count) {
    double real = (double) in.quant().scale() / (double) out.quant().scale();
    QuantizedMultiplier q = FixedPoint.quantizeMultiplier(real);
    int multiplier = q.multiplier();
    int shift = q.shift();
    if (count > 0) {
      int countShift = 63 - Long.numberOfLeadingZeros(count);
      countShift = Math.min(countShift, 32);
      countShift = Math.min(countShift, 31 + shift);
      // count >= 2^countShift, so the quotient is at most the original multiplier: fits int32.
      multiplier = (int) (((long) multiplier << countShift) / count);
      shift -= countShift;
    }
    return new MeanParams(out, outputOf, count, (int) in.quant().zeroPoint(),
        (int) out.quant().zeroPoint(), multiplier, shift, (int) out.dtype().min(),
        (int) out.dtype().max());
  }

  private static Tensor runInt(MeanParams p, Tensor input) {
    Tensor output = Tensor.zeros(p.out().dtype(), p.out().shape());
    if (p.count() == 0 || input.elements() == 0) {
      return output;
    }
    // TFLite sums into int32 with expected (wrapping) overflow; Java's int addition wraps alike.
    int[] sums = new int[output.elements()];
    for (int i = 0; i < input.ints.length; i++) {
      sums[p.outputOf()[i]] += input.ints[i];
    }
    for (int o = 0; o < sums.length; o++) {
      // Computed in int64 (count is int64 in TFLite), then narrowed to the int32 accumulator.
      int shifted = (int) (sums[o] - (long) p.inputZeroPoint() * p.count());
      int value = FixedPoint.multiplyByQuantizedMultiplier(shifted, p.multiplier(), p.shift())
          + p.outputZeroPoint();
      output.ints[o] = FixedPoint.clamp(value, p.qmin(), p.qmax());
    }
    return output;
  }

  private static Tensor runFloat(MeanParams p, Tensor input) {
    Tensor output = Tensor.zeros(DType.FLOAT32, p.out().shape());
    if (p.count() == 0 || input.elements() == 0) {
      return output;
    }
    float[] sums = output.floats;
    for (int i = 0; i < input.floats.length; i++) {
      sums[p.outputOf()[i]] += input.floats[i];
    }
    float divisor = (float) p.count();
    for (int o = 0; o < sums.length; o++) {
      sums[o] = sums[o] / divisor;
    }
    return output;
  }

  /** Row-major index of the output element each input element reduces into. */
  private static int[] outputIndexOfEachInput(Shape s, boolean[] reduced) {
    int rank = s.rank();
    int[] outStride = new int[rank];
    int stride = 1;
    for (int d = rank - 1; d >= 0; d--) {
      if (!reduced[d]) {
        outStride[d] = stride;
        stride *= s.dim(d);
      }
    }
    int[] map = new int[s.elements()];
    int[] idx = new int[rank];
    for (int i = 0; i < map.length; i++) {
      int o = 0;
      for (int d = 0; d < rank; d++) {
        o += idx[d] * outStride[d];
      }
      map[i] = o;
      for (int d = rank - 1; d >= 0; d--) {
        if (++idx[d] < s.dim(d)) {
          break;
        }
        idx[d] = 0;
      }
    }
    return map;
  }
}
