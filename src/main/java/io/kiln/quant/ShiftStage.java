package io.kiln.quant;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Requant;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import java.util.Arrays;
import java.util.List;

/**
 * The prepared output stage of a conv, depthwise conv or fully-connected layer that a shift-only
 * unit runs ({@link Requant.Shift}): the numbers the interpreter's kernels, the accelerator
 * backends and the host HAL read, computed once here so they cannot disagree.
 *
 * <p>What the unit computes for one output of channel {@code c}, in this order:
 *
 * <ol>
 *   <li>every input activation {@code x} (int8) is narrowed to {@code x' = narrow(x) =
 *       clamp(x >> inputShift, -2^(inputBits-1), 2^(inputBits-1) - 1)} (arithmetic shift; with
 *       {@code inputShift = 0} and {@code inputBits = 8} this is {@code x} itself);
 *   <li>{@code acc = Σ x'·w} over the whole window, where a tap in the padding reads
 *       {@link #inputZeroPoint} (the narrowed zero point) instead of an activation; the sum is
 *       exact in 64 bits (and in 32 for every layer the lowering writes);
 *   <li>{@code v = acc + bias[c]}, the bias after zero-point folding:
 *       {@code bias[c] = b[c] - inputZeroPoint·Σw[c]} with {@code b} the layer's int32 bias (0
 *       without one), so {@code v = Σ (x' - inputZeroPoint)·w + b[c]}, TFLite's accumulator
 *       (saturated to int32, see {@link #foldedBias});
 *   <li>{@code v = shift(v, shifts[c])}: for {@code s > 0} a right shift by {@code s} that rounds
 *       by {@link #rounding} (floor: {@code v >> s}; half up: {@code (v + 2^(s-1)) >> s}), for
 *       {@code s = 0} nothing, for {@code s < 0} a left shift by {@code -s};
 *   <li>{@code v = v + outputZeroPoint};
 *   <li>{@code out = clamp(v, clampMin, clampMax)} (the fused activation and the unit's output
 *       range together), stored as int8.
 * </ol>
 *
 * Steps 3 to 6 are in 64-bit arithmetic; {@code bias} is int32 (saturated, see {@link
 * #foldedBias}).
 *
 * @param rounding how a right shift rounds
 * @param shifts per output channel
 * @param bias per output channel, after zero-point folding (see step 3)
 * @param inputShift the narrowing shift of step 1
 * @param inputBits the narrowed width of step 1
 * @param inputZeroPoint the input zero point narrowed like an activation: what padding reads
 * @param outputZeroPoint added in step 5
 * @param clampMin lowest output code
 * @param clampMax highest output code
 */
public record ShiftStage(Requant.Rounding rounding, int[] shifts, int[] bias, int inputShift,
    int inputBits, int inputZeroPoint, int outputZeroPoint, int clampMin, int clampMax) {

  public ShiftStage {
    if (shifts.length != bias.length) {
      throw new IllegalArgumentException(shifts.length + " shifts but " + bias.length
          + " biases");
    }
    shifts = shifts.clone();
    bias = bias.clone();
  }

  /**
   * The stage of a lowered conv, depthwise or fully-connected node {@code n} of {@code g}: its
   * {@link Requant.Shift}, constant int8 weights (symmetric) and optional constant int32 bias.
   * What the interpreter, the weight blobs and the backends all prepare from.
   */
  public static ShiftStage of(Graph g, Node n) {
    String where = n.op().opName() + " '" + g.output(n).name() + "'";
    if (!(Op.requant(n.op()).orElse(Requant.TFLITE) instanceof Requant.Shift s)) {
      throw new KilnException(where + " has no shift output stage");
    }
    Op.ConstantSlots slots = Op.constantSlots(n.op()).orElseThrow(
        () -> new KilnException(where + " has no weights"));
    TensorType in = g.input(n, 0).type();
    Value w = g.input(n, slots.weights());
    TensorType out = g.output(n).type();
    for (TensorType t : List.of(in, w.type(), out)) {
      if (t.dtype() != DType.INT8) {
        throw new KilnException(where + ": a shift-only stage runs on i8, not "
            + t.dtype().shortName());
      }
    }
    if (!w.isConstant()) {
      throw new KilnException(where + ": a shift-only unit needs constant weights (their sums"
          + " fold the zero point into the bias)");
    }
    boolean depthwise = n.op() instanceof Op.DepthwiseConv2D;
    int channels = w.shape().dim(depthwise ? 3 : 0);
    for (int c = 0; c < channels; c++) {
      if (w.quant().zeroPointAt(w.quant() instanceof Quantization.PerAxis p && p.channels() > 1
          ? c : 0) != 0) {
        throw new KilnException(where + ": weights must be symmetric (zero point 0) for a"
            + " shift-only stage");
      }
    }
    int[] bias = null;
    if (n.hasInput(slots.bias())) {
      Value b = g.input(n, slots.bias());
      if (!b.isConstant() || b.dtype() != DType.INT32) {
        throw new KilnException(where + ": a shift-only stage needs a constant i32 bias");
      }
      bias = b.data().asInts(DType.INT32);
    }
    return prepare(s, in, out, bias, weightSums(w.data().asInts(DType.INT8), channels,
        depthwise), where);
  }

  /**
   * Prepares the stage {@code s} of a layer reading {@code in} and writing {@code out}, with
   * int32 bias {@code b} (null without one) and per-channel weight sums {@code weightSums}
   * ({@code Σw[c]} over the whole filter of channel {@code c}).
   */
  public static ShiftStage prepare(Requant.Shift s, TensorType in, TensorType out, int[] b,
      long[] weightSums, String where) {
    int channels = weightSums.length;
    if (s.shifts().size() != channels) {
      throw new KilnException(where + ": " + s.shifts().size() + " shifts for " + channels
          + " output channels");
    }
    if (b != null && b.length != channels) {
      throw new KilnException(where + ": " + b.length + " biases for " + channels
          + " output channels");
    }
    int zp = narrow(TensorScales.zeroPoint(in, "input", where), s.inputShift(), s.inputBits());
    int[] shifts = new int[channels];
    int[] bias = new int[channels];
    for (int c = 0; c < channels; c++) {
      shifts[c] = s.shift(c);
      bias[c] = saturate(foldedBias(b != null ? b[c] : 0, zp, weightSums[c]));
    }
    return new ShiftStage(s.rounding(), shifts, bias, s.inputShift(), s.inputBits(), zp,
        TensorScales.zeroPoint(out, "output", where), s.clampMin(), s.clampMax());
  }

  /**
   * {@code Σw[c]} of every output channel of weights {@code w} with {@code channels} channels:
   * contiguous per channel ({@code channelLast = false}: conv OHWI, fully connected [out, in]) or
   * the last axis (depthwise 1HW(C·M)).
   */
  public static long[] weightSums(int[] w, int channels, boolean channelLast) {
    long[] sums = new long[channels];
    int inner = w.length / channels;
    for (int i = 0; i < w.length; i++) {
      sums[channelLast ? i % channels : i / inner] += w[i];
    }
    return sums;
  }

  /**
   * {@code b - zp·Σw} exactly; the stage stores it saturated to int32 (a layer whose bias sits at
   * the int32 limits already, as a channel with a vanishing scale can have, is the only way to
   * reach them; the lowering reports it).
   */
  public static long foldedBias(int b, int narrowedZeroPoint, long weightSum) {
    return b - (long) narrowedZeroPoint * weightSum;
  }

  private static int saturate(long v) {
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
  }

  /** Step 1: the narrowed activation the array reads. */
  public int narrow(int x) {
    return narrow(x, inputShift, inputBits);
  }

  /** {@code clamp(x >> shift, -2^(bits-1), 2^(bits-1) - 1)}. */
  public static int narrow(int x, int shift, int bits) {
    int lo = -(1 << (bits - 1));
    int hi = (1 << (bits - 1)) - 1;
    return Math.max(lo, Math.min(hi, x >> shift));
  }

  /** Steps 3 to 6 for the accumulator {@code acc} of channel {@code c}. */
  public int apply(long acc, int c) {
    long v = shift(acc + bias[c], shifts[c], rounding) + outputZeroPoint;
    return (int) Math.max(clampMin, Math.min(clampMax, v));
  }

  /**
   * The shift of step 4, shared by every shift-only stage (Add and average pooling too): right by
   * {@code s > 0} with {@code rounding}, left by {@code -s} for {@code s < 0}. {@code v} must stay
   * below 2^62 in magnitude, which every int32 sum does.
   */
  public static long shift(long v, int s, Requant.Rounding rounding) {
    if (s <= 0) {
      return v << -s;
    }
    return switch (rounding) {
      case FLOOR -> v >> s;
      case HALF_UP -> (v + (1L << (s - 1))) >> s;
    };
  }

  public int channels() {
    return shifts.length;
  }

  /** A copy: the record stays immutable. */
  @Override
  public int[] shifts() {
    return shifts.clone();
  }

  /** A copy: the record stays immutable. */
  @Override
  public int[] bias() {
    return bias.clone();
  }

  public int shift(int c) {
    return shifts[c];
  }

  public int bias(int c) {
    return bias[c];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ShiftStage s && rounding == s.rounding && Arrays.equals(shifts, s.shifts)
        && Arrays.equals(bias, s.bias) && inputShift == s.inputShift && inputBits == s.inputBits
        && inputZeroPoint == s.inputZeroPoint && outputZeroPoint == s.outputZeroPoint
        && clampMin == s.clampMin && clampMax == s.clampMax;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shifts) * 31 + Arrays.hashCode(bias);
  }

  @Override
  public String toString() {
    return "ShiftStage[" + rounding.yamlName() + ", shifts=" + Arrays.toString(shifts)
        + ", bias=" + Arrays.toString(bias) + ", input=i" + inputBits + ">>" + inputShift
        + " zp " + inputZeroPoint + ", output zp " + outputZeroPoint + ", clamp=[" + clampMin
        + "," + clampMax + "]]";
  }
}
