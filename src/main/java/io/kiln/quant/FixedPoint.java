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

  // ===== BEGIN gemmlowp-style fixed-point transcendental helpers (owned by the kernels helper) =====
  //
  // These mirror gemmlowp's fixedpoint.h for int32 raw values, which TFLite's softmax, logistic
  // and tanh kernels use. A "Qm" value has m integer bits and 31 - m fractional bits; all raw
  // arithmetic wraps like the C++ code does on real hardware, and every rounding step is one of
  // the two primitives above (saturatingRoundingDoublingHighMul, roundingDivideByPot).

  /** The gemmlowp Q0 representation of 1.0 (saturated: 1.0 itself is not representable). */
  public static final int Q0_ONE = Integer.MAX_VALUE;

  /** {@code (a + b) / 2} rounded half away from zero, computed without overflow. */
  public static int roundingHalfSum(int a, int b) {
    long sum = (long) a + (long) b;
    long sign = sum >= 0 ? 1 : -1;
    return (int) ((sum + sign) / 2);
  }

  /**
   * Multiplies by {@code 2^exponent}: saturating for a left shift, rounding to nearest for a right
   * shift (gemmlowp's {@code SaturatingRoundingMultiplyByPOT}); exponent in [-31, 31].
   */
  public static int saturatingRoundingMultiplyByPot(int x, int exponent) {
    if (exponent == 0) {
      return x;
    }
    if (exponent < 0) {
      return roundingDivideByPot(x, -exponent);
    }
    if (exponent >= 31) {
      return x > 0 ? Integer.MAX_VALUE : x < 0 ? Integer.MIN_VALUE : 0;
    }
    int threshold = (1 << (31 - exponent)) - 1;
    if (x > threshold) {
      return Integer.MAX_VALUE;
    }
    if (x < -threshold) {
      return Integer.MIN_VALUE;
    }
    return x << exponent;
  }

  /** Changes a raw value from Q{@code srcIntegerBits} to Q{@code dstIntegerBits}. */
  public static int rescale(int raw, int srcIntegerBits, int dstIntegerBits) {
    return saturatingRoundingMultiplyByPot(raw, srcIntegerBits - dstIntegerBits);
  }

  /** TFLite's {@code MultiplyByQuantizedMultiplierSmallerThanOneExp} (double rounding). */
  public static int multiplyByQuantizedMultiplierSmallerThanOneExp(int x, int multiplier,
      int leftShift) {
    return roundingDivideByPot(saturatingRoundingDoublingHighMul(x, multiplier), -leftShift);
  }

  /** TFLite's {@code MultiplyByQuantizedMultiplierGreaterThanOne}; the left shift wraps. */
  public static int multiplyByQuantizedMultiplierGreaterThanOne(int x, int multiplier,
      int leftShift) {
    return saturatingRoundingDoublingHighMul(x * (1 << leftShift), multiplier);
  }

  /** exp(a) for a Q0 value a in [-1/4, 0), by a 4th-order Taylor expansion around -1/8. */
  public static int expOnIntervalBetweenNegativeOneQuarterAnd0Excl(int a) {
    final int constantTerm = 1895147668; // exp(-1/8) in Q0
    final int constantOneThird = 715827883; // 1/3 in Q0
    int x = a + (1 << 28); // a + 1/8
    int x2 = saturatingRoundingDoublingHighMul(x, x);
    int x3 = saturatingRoundingDoublingHighMul(x2, x);
    int x4 = saturatingRoundingDoublingHighMul(x2, x2);
    int x4Over4 = saturatingRoundingMultiplyByPot(x4, -2);
    int poly = saturatingRoundingMultiplyByPot(
        saturatingRoundingDoublingHighMul(x4Over4 + x3, constantOneThird) + x2, -1);
    return constantTerm + saturatingRoundingDoublingHighMul(constantTerm, x + poly);
  }

  // exp(-2^k) in Q0 for k = -2 .. 4, the factors of gemmlowp's barrel shifter.
  private static final int[] EXP_NEG_POT_EXPONENTS = {-2, -1, 0, 1, 2, 3, 4};
  private static final int[] EXP_NEG_POT_MULTIPLIERS =
      {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};

  /**
   * exp(a) for a Q{@code integerBits} value a &lt;= 0, as a Q0 value (gemmlowp's
   * {@code exp_on_negative_values}): the fractional part modulo 1/4 goes through the polynomial,
   * each set bit of the rest multiplies by a constant exp(-2^k).
   */
  public static int expOnNegativeValues(int a, int integerBits) {
    int fractionalBits = 31 - integerBits;
    int oneQuarter = 1 << (fractionalBits - 2);
    int mask = oneQuarter - 1;
    int aModQuarterMinusOneQuarter = (a & mask) - oneQuarter;
    int result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(
        rescale(aModQuarterMinusOneQuarter, integerBits, 0));
    int remainder = aModQuarterMinusOneQuarter - a;
    for (int k = 0; k < EXP_NEG_POT_EXPONENTS.length; k++) {
      int exponent = EXP_NEG_POT_EXPONENTS[k];
      if (integerBits > exponent) {
        int shiftAmount = fractionalBits + exponent;
        if ((remainder & (1 << shiftAmount)) != 0) {
          result = saturatingRoundingDoublingHighMul(result, EXP_NEG_POT_MULTIPLIERS[k]);
        }
      }
    }
    if (integerBits > 5) {
      int clamp = -(1 << (36 - integerBits)); // -32.0 in Q(integerBits)
      if (a < clamp) {
        result = 0;
      }
    }
    return a == 0 ? Q0_ONE : result;
  }

  /** Shared Newton-Raphson iteration for 1/(1+a) with a in (0, 1); returns x ~ 2/(1+a) in Q2. */
  private static int newtonReciprocalOfHalfDenominatorQ2(int halfDenominator) {
    final int constant48Over17 = 1515870810; // Q2
    final int constantNeg32Over17 = -1010580540; // Q2
    final int q2One = 1 << 29;
    int x = constant48Over17 + saturatingRoundingDoublingHighMul(halfDenominator,
        constantNeg32Over17);
    for (int i = 0; i < 3; i++) {
      int halfDenominatorTimesX = saturatingRoundingDoublingHighMul(halfDenominator, x);
      int oneMinus = q2One - halfDenominatorTimesX;
      // Q2 * Q2 = Q4, rescaled back to Q2.
      x = x + rescale(saturatingRoundingDoublingHighMul(x, oneMinus), 4, 2);
    }
    return x;
  }

  /** 1/(1+a) for a Q0 value a in [0, 1), as Q0 (gemmlowp's one_over_one_plus_x_for_x_in_0_1). */
  public static int oneOverOnePlusXForXIn01(int a) {
    int halfDenominator = roundingHalfSum(a, Q0_ONE);
    int x = newtonReciprocalOfHalfDenominatorQ2(halfDenominator);
    // x ~ 2/(1+a) in Q2 is the same raw value as 1/(1+a) in Q1; rescale Q1 -> Q0.
    return rescale(x, 1, 0);
  }

  /** (1-a)/(1+a) for a Q0 value a in [0, 1), as Q0. */
  public static int oneMinusXOverOnePlusXForXIn01(int a) {
    int halfDenominator = roundingHalfSum(a, Q0_ONE);
    int x = newtonReciprocalOfHalfDenominatorQ2(halfDenominator);
    return rescale(x - (1 << 29), 2, 0);
  }

  /** tanh(a) for a Q{@code integerBits} value, as Q0 (gemmlowp's {@code tanh}). */
  public static int tanh(int a, int integerBits) {
    if (a == 0) {
      return 0;
    }
    boolean negative = a < 0;
    int n = negative ? a : -a;
    // exp(2n): reinterpreting the raw value with one more integer bit doubles it exactly.
    int t = oneMinusXOverOnePlusXForXIn01(expOnNegativeValues(n, integerBits + 1));
    return negative ? -t : t;
  }

  /** logistic(a) = 1/(1+exp(-a)) for a Q{@code integerBits} value, as Q0. */
  public static int logistic(int a, int integerBits) {
    if (a == 0) {
      return 1 << 30; // 0.5
    }
    boolean positive = a > 0;
    int abs = positive ? a : -a;
    int resultIfPositive = oneOverOnePlusXForXIn01(expOnNegativeValues(-abs, integerBits));
    return positive ? resultIfPositive : Q0_ONE - resultIfPositive;
  }

  /** Result of {@link #reciprocal}: {@code 1/x ~ raw (Q0) * 2^-numBitsOverUnit}. */
  public record Reciprocal(int raw, int numBitsOverUnit) {}

  /**
   * TFLite's {@code GetReciprocal}: 1/x for a positive Q{@code xIntegerDigits} value x, as a Q0
   * mantissa in [0.5, 1] and the number of bits x has above 1.0.
   */
  public static Reciprocal reciprocal(int x, int xIntegerDigits) {
    if (x <= 0) {
      throw new IllegalArgumentException("reciprocal of non-positive " + x);
    }
    int headroomPlusOne = Integer.numberOfLeadingZeros(x);
    int numBitsOverUnit = xIntegerDigits - headroomPlusOne;
    // Unsigned arithmetic in C++; the same bits in Java's wrapping int.
    int shiftedSumMinusOne = (x << headroomPlusOne) - Integer.MIN_VALUE;
    return new Reciprocal(oneOverOnePlusXForXIn01(shiftedSumMinusOne), numBitsOverUnit);
  }

  /**
   * TFLite's {@code CalculateInputRadius}: the largest input difference whose rescaled value
   * still fits Q{@code inputIntegerBits} (prepare-time, in double exactly as TFLite).
   */
  public static int calculateInputRadius(int inputIntegerBits, int inputLeftShift,
      int totalSignedBits) {
    double maxInputRescaled = 1.0 * ((1 << inputIntegerBits) - 1)
        * (double) (1L << (totalSignedBits - inputIntegerBits))
        / (double) (1L << inputLeftShift);
    return (int) Math.floor(maxInputRescaled);
  }

  /**
   * TFLite's {@code PreprocessSoftmaxScaling} (double-rounding build): beta * input_scale as a
   * Q(31 - inputIntegerBits) multiplier greater than one, capped at 2^31 - 1.
   */
  public static QuantizedMultiplier preprocessSoftmaxScaling(double beta, double inputScale,
      int inputIntegerBits) {
    double maxRealMultiplier = (1L << 31) - 1.0;
    double real = Math.min(beta * inputScale * (double) (1 << (31 - inputIntegerBits)),
        maxRealMultiplier);
    if (!(real > 1.0)) {
      throw new IllegalArgumentException("softmax input multiplier " + real + " is not > 1");
    }
    QuantizedMultiplier q = quantizeMultiplier(real);
    if (q.shift() < 0) {
      throw new IllegalArgumentException("softmax input shift " + q.shift() + " is negative");
    }
    return q;
  }
  // ===== END gemmlowp-style fixed-point transcendental helpers =====
}
