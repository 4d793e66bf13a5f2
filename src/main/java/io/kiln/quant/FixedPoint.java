package io.kiln.quant;

/**
 * The one owner of Kiln's fixed-point arithmetic: TFLite's requantization (a Q31 multiplier and a
 * power-of-two shift with gemmlowp rounding) and the helpers built on it. Every execution path
 * (interpreter, generated C, simulators) uses or mirrors exactly these definitions; nothing else
 * re-derives them.
 */
public final class FixedPoint {
  private FixedPoint() {}

  /** A real multiplier {@code m} encoded as {@code multiplier * 2^(shift - 31)}. */
  public record QuantizedMultiplier(int multiplier, int shift) {}

  /**
   * High 32 bits of {@code 2*a*b}, rounded to nearest, saturating the one overflowing case
   * {@code a == b == INT32_MIN}. gemmlowp's nudge makes ties round toward +infinity: 0.5 goes to 1
   * but -0.5 goes to 0.
   */
  public static int saturatingRoundingDoublingHighMul(int a, int b) {
    if (a == b && a == Integer.MIN_VALUE) {
      return Integer.MAX_VALUE;
    }
    long ab = (long) a * (long) b;
    // Java long division truncates toward zero like C++, so this is gemmlowp's result exactly.
    long nudge = ab >= 0 ? (1L << 30) : (1L - (1L << 30));
    return (int) ((ab + nudge) / (1L << 31));
  }

  /** {@code x / 2^exponent} rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
  public static int roundingDivideByPot(int x, int exponent) {
    if (exponent < 0 || exponent > 31) {
      throw new IllegalArgumentException("exponent " + exponent + " outside [0, 31]");
    }
    int mask = (int) ((1L << exponent) - 1);
    int remainder = x & mask;
    int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (Integer.compareUnsigned(remainder, threshold) > 0 ? 1 : 0);
  }

  /**
   * TFLite's {@code MultiplyByQuantizedMultiplier} for int32 accumulators: a left shift (for
   * shift &gt; 0), the rounding doubling high multiply, then a rounding right shift.
   */
  public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift) {
    if (shift > 31) {
      // C's 1 << 32 is undefined and Java's is 1; no TFLite multiplier gets here.
      throw new IllegalArgumentException("shift " + shift + " outside [-31, 31]");
    }
    int leftShift = shift > 0 ? shift : 0;
    int rightShift = shift > 0 ? 0 : -shift;
    // The left shift wraps exactly like TFLite's int32 multiply does on real hardware.
    return roundingDivideByPot(saturatingRoundingDoublingHighMul(x * (1 << leftShift), multiplier),
        rightShift);
  }

  public static int multiplyByQuantizedMultiplier(int x, QuantizedMultiplier m) {
    return multiplyByQuantizedMultiplier(x, m.multiplier(), m.shift());
  }

  /**
   * TFLite's {@code MultiplyByQuantizedMultiplier} for int64 accumulators (16x8 kernels): the
   * multiplier is reduced to 16 bits and one rounding shift is applied. Valid for
   * {@code -2^47 <= x < 2^47}, multiplier >= 0 and shift in [-31, 7]; then {@code x * reduced}
   * stays below 2^62 and cannot overflow. The final shift is arithmetic, so ties round toward
   * +infinity (not away from zero as in the int32 overload), and the narrowing wraps like TFLite's
   * {@code int32_t result = x >> total_shift}.
   */
  public static int multiplyByQuantizedMultiplier(long x, int multiplier, int shift) {
    if (shift < -31 || shift > 7) {
      throw new IllegalArgumentException("shift " + shift + " outside [-31, 7]");
    }
    int reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
    int totalShift = 15 - shift;
    long round = 1L << (totalShift - 1);
    long result = (x * reduced + round) >> totalShift;
    return (int) result;
  }

  /**
   * TFLite's {@code QuantizeMultiplier}: {@code real = multiplier * 2^(shift-31)} with the
   * mantissa rounded half away from zero. Zero maps to (0, 0); shifts below -31 flush to zero.
   */
  public static QuantizedMultiplier quantizeMultiplier(double real) {
    if (real == 0.0) {
      return new QuantizedMultiplier(0, 0);
    }
    Frexp f = frexp(real);
    int shift = f.exponent;
    long qFixed = roundHalfAway(f.mantissa * (1L << 31));
    if (qFixed == (1L << 31)) {
      qFixed /= 2;
      shift++;
    }
    if (shift < -31) {
      shift = 0;
      qFixed = 0;
    }
    return new QuantizedMultiplier((int) qFixed, shift);
  }

  /** C's {@code round}: nearest integer, ties away from zero. */
  public static long roundHalfAway(double x) {
    // floor(|x| + 0.5) would be wrong for 0.49999999999999994 (the sum rounds up to 1.0);
    // |x| - floor(|x|) is exact, so comparing the fraction with 0.5 is exact too.
    double a = Math.abs(x);
    double whole = Math.floor(a);
    if (a - whole >= 0.5) {
      whole += 1.0;
    }
    return (long) Math.copySign(whole, x);
  }

  /** C's {@code frexp}: x = mantissa * 2^exponent with 0.5 <= |mantissa| < 1. */
  public static Frexp frexp(double x) {
    if (x == 0.0 || Double.isNaN(x) || Double.isInfinite(x)) {
      return new Frexp(x, 0);
    }
    int e = Math.getExponent(x);
    if (e == Double.MIN_EXPONENT - 1) {
      // Subnormal: normalise first.
      double scaled = x * 0x1p54;
      Frexp f = frexp(scaled);
      return new Frexp(f.mantissa, f.exponent - 54);
    }
    int exponent = e + 1;
    return new Frexp(Math.scalb(x, -exponent), exponent);
  }

  /** Result of {@link #frexp}. */
  public record Frexp(double mantissa, int exponent) {}

  /** Clamps to [lo, hi]. */
  public static int clamp(int v, int lo, int hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  /** Clamps to [lo, hi]. */
  public static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
