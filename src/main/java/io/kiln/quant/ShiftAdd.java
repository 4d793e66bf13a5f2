package io.kiln.quant;

import io.kiln.KilnException;
import io.kiln.ir.Requant;
import io.kiln.ir.TensorType;

/**
 * The prepared shift-only output stage of an element-wise Add (a standalone one, or a residual
 * Add fused into a convolution's calls): what the interpreter and the backends read.
 *
 * <p>For operands {@code a} and {@code b} (int8), with {@code S = max(lhsShift, rhsShift)}:
 *
 * <ol>
 *   <li>{@code v = ((a - lhsZeroPoint) << (S - lhsShift)) + ((b - rhsZeroPoint) << (S -
 *       rhsShift))}: both operands on the finer of their two scales, exactly;
 *   <li>{@code v = ShiftStage.shift(v, S, rounding)}: one rounding for the sum;
 *   <li>{@code v = v + outputZeroPoint};
 *   <li>{@code out = clamp(v, clampMin, clampMax)}.
 * </ol>
 *
 * The real ratio operand scale / output scale of each operand is {@code 2^-shift}.
 */
public record ShiftAdd(Requant.Rounding rounding, int lhsShift, int rhsShift, int lhsZeroPoint,
    int rhsZeroPoint, int outputZeroPoint, int clampMin, int clampMax) {

  /** Prepares the stage {@code s} of an Add of {@code lhs} and {@code rhs} into {@code out}. */
  public static ShiftAdd prepare(Requant.Shift s, TensorType lhs, TensorType rhs,
      TensorType out, String where) {
    if (s.shifts().size() != 2) {
      throw new KilnException(where + ": a shift Add needs two shifts, got " + s.shifts());
    }
    if (Math.abs(s.shift(0) - s.shift(1)) > 31) {
      throw new KilnException(where + ": operand shifts " + s.shifts() + " differ by more than"
          + " 31");
    }
    return new ShiftAdd(s.rounding(), s.shift(0), s.shift(1),
        TensorScales.zeroPoint(lhs, "lhs", where), TensorScales.zeroPoint(rhs, "rhs", where),
        TensorScales.zeroPoint(out, "output", where), s.clampMin(), s.clampMax());
  }

  /** The sum of one pair of operands. */
  public int apply(int a, int b) {
    int common = Math.max(lhsShift, rhsShift);
    // |a - zp| < 2^9 and an alignment shift is at most 31 (checked when prepared): each term
    // is below 2^40, so the 64-bit sum is exact.
    long v = ((long) (a - lhsZeroPoint) << (common - lhsShift))
        + ((long) (b - rhsZeroPoint) << (common - rhsShift));
    v = ShiftStage.shift(v, common, rounding) + outputZeroPoint;
    return (int) Math.max(clampMin, Math.min(clampMax, v));
  }
}
