package io.kiln.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Boundary and randomized tests of TFLite's fixed-point arithmetic against an exact reference
 * written here with {@link BigInteger}/{@link BigDecimal}: each function is specified as "the
 * exact rational result, rounded by this rule", so the reference never overflows or rounds early.
 */
class FixedPointTest {
  private static final int MIN = Integer.MIN_VALUE;
  private static final int MAX = Integer.MAX_VALUE;
  private static final int[] EDGES = {MIN, MIN + 1, -(1 << 30) - 1, -(1 << 30), -(1 << 30) + 1,
      -65536, -32769, -32768, -129, -128, -2, -1, 0, 1, 2, 127, 128, 32767, 32768, 65536,
      (1 << 30) - 1, 1 << 30, (1 << 30) + 1, MAX - 1, MAX};
  private static final int[] MULTIPLIERS = {0, 1, (1 << 30) - 1, 1 << 30, (1 << 30) + 1,
      1518500250 /* ~sqrt(0.5) */, 0x7FFEFFFF, 0x7FFF0000, 0x7FFF7FFF, MAX - 1, MAX};

  // ---- exact references -------------------------------------------------------------------

  /** v / 2^bits rounded to nearest, ties away from zero. */
  private static BigInteger roundAway(BigInteger v, int bits) {
    if (bits == 0) {
      return v;
    }
    BigInteger magnitude = v.abs().add(BigInteger.ONE.shiftLeft(bits - 1)).shiftRight(bits);
    return v.signum() < 0 ? magnitude.negate() : magnitude;
  }

  /** v / 2^bits rounded to nearest, ties toward +infinity (shiftRight is a floor). */
  private static BigInteger roundUp(BigInteger v, int bits) {
    return bits == 0 ? v : v.add(BigInteger.ONE.shiftLeft(bits - 1)).shiftRight(bits);
  }

  private static BigInteger big(long v) {
    return BigInteger.valueOf(v);
  }

  private static int refHighMul(int a, int b) {
    if (a == MIN && b == MIN) {
      return MAX;
    }
    return roundUp(big(a).multiply(big(b)).shiftLeft(1), 32).intValueExact();
  }

  private static int refDivideByPot(int x, int exponent) {
    return roundAway(big(x), exponent).intValueExact();
  }

  /** x * 2^left wraps to 32 bits as TFLite's int32 multiply does, then two roundings. */
  private static int refMultiply(int x, int multiplier, int shift) {
    int left = Math.max(shift, 0);
    int right = Math.max(-shift, 0);
    int shifted = big(x).shiftLeft(left).intValue();
    return refDivideByPot(refHighMul(shifted, multiplier), right);
  }

  /** The 64-bit overload: a 16-bit multiplier and one rounding (ties up), narrowed by wrapping. */
  private static int refMultiply64(long x, int multiplier, int shift) {
    int reduced = multiplier < 0x7FFF0000 ? (int) roundUp(big(multiplier), 16).longValueExact()
        : 0x7FFF;
    return roundUp(big(x).multiply(big(reduced)), 15 - shift).intValue();
  }

  private static BigDecimal pow2(int e) {
    BigDecimal two = BigDecimal.valueOf(2);
    return e >= 0 ? two.pow(e) : BigDecimal.ONE.divide(two.pow(-e));
  }

  /** real = q * 2^(shift-31) with q in [2^30, 2^31), q rounded half away; tiny reals flush. */
  private static QuantizedMultiplier refQuantize(double real) {
    if (real == 0) {
      return new QuantizedMultiplier(0, 0);
    }
    BigDecimal x = new BigDecimal(real);
    // Start near the answer to keep the search short; the loops below decide exactly.
    int e = Math.getExponent(real) + 1;
    while (x.compareTo(pow2(e)) >= 0) {
      e++;
    }
    while (x.compareTo(pow2(e - 1)) < 0) {
      e--;
    }
    BigInteger q = x.multiply(pow2(31 - e)).setScale(0, RoundingMode.HALF_UP).toBigIntegerExact();
    if (q.equals(BigInteger.ONE.shiftLeft(31))) {
      q = BigInteger.ONE.shiftLeft(30);
      e++;
    }
    if (e < -31) {
      return new QuantizedMultiplier(0, 0);
    }
    return new QuantizedMultiplier(q.intValueExact(), e);
  }

  // ---- saturating rounding doubling high multiply -------------------------------------------

  @Test
  void highMulMatchesReferenceOnAllEdgePairs() {
    for (int a : EDGES) {
      for (int b : EDGES) {
        assertThat(FixedPoint.saturatingRoundingDoublingHighMul(a, b)).as("a=%d b=%d", a, b)
            .isEqualTo(refHighMul(a, b));
      }
    }
  }

  @Test
  void highMulSaturatesOnlyMinTimesMin() {
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(MIN, MIN)).isEqualTo(MAX);
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(MIN, MIN + 1)).isEqualTo(MAX);
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(MIN, MAX)).isEqualTo(MIN + 1);
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(MAX, MAX)).isEqualTo(MAX - 1);
  }

  @Test
  void highMulTiesRoundTowardPlusInfinity() {
    // 2 * 1 * 2^30 / 2^32 = 0.5 exactly.
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(1, 1 << 30)).isEqualTo(1);
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(-1, 1 << 30)).isEqualTo(0);
    // 1.5 and -1.5.
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(3, 1 << 30)).isEqualTo(2);
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(-3, 1 << 30)).isEqualTo(-1);
    // Just off the midpoint rounds to nearest both ways.
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(-1, (1 << 30) + 1)).isEqualTo(-1);
    assertThat(FixedPoint.saturatingRoundingDoublingHighMul(1, (1 << 30) - 1)).isEqualTo(0);
  }

  // ---- rounding divide by power of two ------------------------------------------------------

  @Test
  void divideByPotMatchesReferenceForEveryExponent() {
    for (int e = 0; e <= 31; e++) {
      for (int x : EDGES) {
        assertThat(FixedPoint.roundingDivideByPot(x, e)).as("x=%d e=%d", x, e)
            .isEqualTo(refDivideByPot(x, e));
      }
    }
  }

  @Test
  void divideByPotRoundsExactMidpointsAwayFromZero() {
    assertThat(FixedPoint.roundingDivideByPot(1, 1)).isEqualTo(1);
    assertThat(FixedPoint.roundingDivideByPot(-1, 1)).isEqualTo(-1);
    assertThat(FixedPoint.roundingDivideByPot(5, 1)).isEqualTo(3);
    assertThat(FixedPoint.roundingDivideByPot(-5, 1)).isEqualTo(-3);
    for (int e = 1; e <= 30; e++) {
      int half = 1 << (e - 1);
      for (int k = -3; k <= 3; k++) {
        long midLong = (long) k * (1L << e) + half;
        if (midLong - 1 < MIN || midLong + 1 > MAX) {
          continue;
        }
        int mid = (int) midLong;
        int expected = k >= 0 ? k + 1 : k;
        assertThat(FixedPoint.roundingDivideByPot(mid, e)).as("(%d + 0.5) e=%d", k, e)
            .isEqualTo(expected);
        assertThat(FixedPoint.roundingDivideByPot(mid - 1, e)).isEqualTo(k);
        assertThat(FixedPoint.roundingDivideByPot(mid + 1, e)).isEqualTo(k + 1);
      }
    }
    assertThat(FixedPoint.roundingDivideByPot(MIN, 31)).isEqualTo(-1);
    assertThat(FixedPoint.roundingDivideByPot(MAX, 31)).isEqualTo(1);
    assertThat(FixedPoint.roundingDivideByPot(1 << 30, 31)).isEqualTo(1);
    assertThat(FixedPoint.roundingDivideByPot(-(1 << 30), 31)).isEqualTo(-1);
    assertThat(FixedPoint.roundingDivideByPot((1 << 30) - 1, 31)).isEqualTo(0);
  }

  @Test
  void divideByPotRejectsExponentsOutsideRange() {
    assertThatThrownBy(() -> FixedPoint.roundingDivideByPot(1, 32))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FixedPoint.roundingDivideByPot(1, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- MultiplyByQuantizedMultiplier (int32) ------------------------------------------------

  @Test
  void multiplyMatchesReferenceForEveryShiftMultiplierAndEdge() {
    for (int shift = -31; shift <= 30; shift++) {
      for (int m : MULTIPLIERS) {
        for (int x : EDGES) {
          assertThat(FixedPoint.multiplyByQuantizedMultiplier(x, m, shift))
              .as("x=%d m=%d shift=%d", x, m, shift).isEqualTo(refMultiply(x, m, shift));
        }
      }
    }
  }

  @Test
  void multiplyHandCheckedValues() {
    // 2^30 is 0.5 in Q31: 100 * 0.5 = 50; with shift -1: 25; with shift 1: 100.
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(100, 1 << 30, 0)).isEqualTo(50);
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(100, 1 << 30, -1)).isEqualTo(25);
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(100, 1 << 30, 1)).isEqualTo(100);
    // 5 * 0.5 = 2.5: the high multiply gives 3 (tie up); -5 * 0.5 = -2.5 gives -2.
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(5, 1 << 30, 0)).isEqualTo(3);
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(-5, 1 << 30, 0)).isEqualTo(-2);
    // Double rounding: 3 * 0.5 = 1.5 -> 2, then / 2 = 1 -> 1; -3 -> -1 -> -0.5 -> -1.
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(3, 1 << 30, -1)).isEqualTo(1);
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(-3, 1 << 30, -1)).isEqualTo(-1);
    // Accumulator extremes with a multiplier just below 1.0.
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(MAX, MAX, 0)).isEqualTo(MAX - 1);
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(MIN, MAX, 0)).isEqualTo(MIN + 1);
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(MIN, MAX, -31)).isEqualTo(-1);
  }

  @Test
  void multiplyRandomizedAgainstReference() {
    Random r = new Random(20261122L);
    for (int i = 0; i < 200_000; i++) {
      int x = switch (i % 3) {
        case 0 -> r.nextInt();
        case 1 -> r.nextInt(1 << 20) - (1 << 19);
        default -> r.nextInt(65536) - 32768;
      };
      int m = (1 << 30) + r.nextInt(1 << 30);
      int shift = r.nextInt(62) - 31;
      assertThat(FixedPoint.multiplyByQuantizedMultiplier(x, m, shift))
          .as("x=%d m=%d shift=%d", x, m, shift).isEqualTo(refMultiply(x, m, shift));
    }
  }

  @Test
  void multiplyRejectsShiftsBeyondThirtyOne() {
    assertThatThrownBy(() -> FixedPoint.multiplyByQuantizedMultiplier(1, 1 << 30, 32))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FixedPoint.multiplyByQuantizedMultiplier(1, 1 << 30, -32))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- MultiplyByQuantizedMultiplier (int64, 16x8) ----------------------------------------

  @Test
  void multiply64MatchesReferenceAtTheTwoToThe47Bounds() {
    long lo = -(1L << 47);
    long hi = (1L << 47) - 1;
    long[] xs = {lo, lo + 1, -(1L << 31) - 1, MIN, -65536, -1, 0, 1, 65535, MAX, 1L << 31,
        hi - 1, hi};
    for (int shift = -31; shift <= 7; shift++) {
      for (int m : MULTIPLIERS) {
        for (long x : xs) {
          assertThat(FixedPoint.multiplyByQuantizedMultiplier(x, m, shift))
              .as("x=%d m=%d shift=%d", x, m, shift).isEqualTo(refMultiply64(x, m, shift));
        }
      }
    }
  }

  @Test
  void multiply64HandCheckedValuesAndTies() {
    // m = 2^30 (0.5) reduces to 2^14 exactly; shift 0 divides by 2^15.
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(100L, 1 << 30, 0)).isEqualTo(50);
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(1L, 1 << 30, 0)).isEqualTo(1);
    // One rounding with ties toward +infinity: -0.5 -> 0, -1.5 -> -1, 2.5 -> 3.
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(-1L, 1 << 30, 0)).isEqualTo(0);
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(-3L, 1 << 30, 0)).isEqualTo(-1);
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(5L, 1 << 30, 0)).isEqualTo(3);
    // Multipliers at or above 0x7FFF0000 saturate to 0x7FFF rather than rounding to 0x8000.
    assertThat(FixedPoint.multiplyByQuantizedMultiplier(1L << 20, MAX, -5))
        .isEqualTo(refMultiply64(1L << 20, MAX, -5)).isEqualTo(0x7FFF);
    // 2^47 - 1 times 0x7FFF with the largest left shift still fits a long before shifting.
    assertThat(FixedPoint.multiplyByQuantizedMultiplier((1L << 47) - 1, MAX, 7))
        .isEqualTo(refMultiply64((1L << 47) - 1, MAX, 7));
  }

  @Test
  void multiply64RandomizedAgainstReference() {
    Random r = new Random(47L);
    for (int i = 0; i < 100_000; i++) {
      long x = (r.nextLong() >> 16); // uniform over [-2^47, 2^47)
      if (i % 2 == 0) {
        x >>= r.nextInt(40);
      }
      int m = (1 << 30) + r.nextInt(1 << 30);
      int shift = r.nextInt(39) - 31;
      assertThat(FixedPoint.multiplyByQuantizedMultiplier(x, m, shift))
          .as("x=%d m=%d shift=%d", x, m, shift).isEqualTo(refMultiply64(x, m, shift));
    }
  }

  @Test
  void multiply64RejectsShiftsOutsideItsContract() {
    assertThatThrownBy(() -> FixedPoint.multiplyByQuantizedMultiplier(1L, 1 << 30, 8))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FixedPoint.multiplyByQuantizedMultiplier(1L, 1 << 30, -32))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- QuantizeMultiplier --------------------------------------------------------------------

  @Test
  void quantizeMultiplierHandCheckedValues() {
    assertThat(FixedPoint.quantizeMultiplier(0.0)).isEqualTo(new QuantizedMultiplier(0, 0));
    assertThat(FixedPoint.quantizeMultiplier(0.5)).isEqualTo(new QuantizedMultiplier(1 << 30, 0));
    assertThat(FixedPoint.quantizeMultiplier(1.0)).isEqualTo(new QuantizedMultiplier(1 << 30, 1));
    assertThat(FixedPoint.quantizeMultiplier(0.75))
        .isEqualTo(new QuantizedMultiplier(3 << 29, 0));
    assertThat(FixedPoint.quantizeMultiplier(0x1p30))
        .isEqualTo(new QuantizedMultiplier(1 << 30, 31));
    // The mantissa of the largest double below 1 rounds up to 2^31: renormalised to 0.5 * 2^1.
    assertThat(FixedPoint.quantizeMultiplier(Math.nextDown(1.0)))
        .isEqualTo(new QuantizedMultiplier(1 << 30, 1));
    assertThat(FixedPoint.quantizeMultiplier(Math.nextDown(0.5)))
        .isEqualTo(new QuantizedMultiplier(1 << 30, 0));
    // A mantissa whose Q31 value is exactly x.5 rounds away from zero.
    assertThat(FixedPoint.quantizeMultiplier(0.5 + 0x1p-32))
        .isEqualTo(new QuantizedMultiplier((1 << 30) + 1, 0));
    // Flush to zero below 2^-32: 2^-32 still has shift -31, 2^-33 does not.
    assertThat(FixedPoint.quantizeMultiplier(0x1p-32))
        .isEqualTo(new QuantizedMultiplier(1 << 30, -31));
    assertThat(FixedPoint.quantizeMultiplier(0x1p-33)).isEqualTo(new QuantizedMultiplier(0, 0));
    assertThat(FixedPoint.quantizeMultiplier(1e-12)).isEqualTo(new QuantizedMultiplier(0, 0));
  }

  @Test
  void quantizeMultiplierMatchesReferenceFromTinyToTwoToThe30() {
    Random r = new Random(31L);
    double lo = Math.log(1e-12);
    double hi = Math.log(0x1p30);
    for (int i = 0; i < 5_000; i++) {
      double real = Math.exp(lo + (hi - lo) * r.nextDouble());
      QuantizedMultiplier q = FixedPoint.quantizeMultiplier(real);
      assertThat(q).as("real=%s", real).isEqualTo(refQuantize(real));
      if (q.multiplier() != 0) {
        assertThat(q.multiplier()).isBetween(1 << 30, MAX);
        assertThat(q.shift()).isBetween(-31, 31);
        // Within half a Q31 step of the real value.
        BigDecimal encoded = new BigDecimal(q.multiplier()).multiply(pow2(q.shift() - 31));
        assertThat(encoded.subtract(new BigDecimal(real)).abs())
            .isLessThanOrEqualTo(pow2(q.shift() - 32));
      } else {
        assertThat(real).isLessThan(0x1p-32);
      }
    }
  }

  @Test
  void quantizeMultiplierProducesEveryShiftInRange() {
    for (int shift = -31; shift <= 30; shift++) {
      double real = Math.scalb(0.7, shift);
      QuantizedMultiplier q = FixedPoint.quantizeMultiplier(real);
      assertThat(q).isEqualTo(refQuantize(real));
      assertThat(q.shift()).isEqualTo(shift);
    }
  }

  // ---- rounding and clamping helpers ---------------------------------------------------------

  @Test
  void roundHalfAwayIsCRound() {
    assertThat(FixedPoint.roundHalfAway(0.49999999999999994)).isZero();
    assertThat(FixedPoint.roundHalfAway(-0.49999999999999994)).isZero();
    assertThat(FixedPoint.roundHalfAway(0.5)).isEqualTo(1);
    assertThat(FixedPoint.roundHalfAway(-0.5)).isEqualTo(-1);
    assertThat(FixedPoint.roundHalfAway(2.5)).isEqualTo(3);
    assertThat(FixedPoint.roundHalfAway(-2.5)).isEqualTo(-3);
    assertThat(FixedPoint.roundHalfAway(1.4999999999999998)).isEqualTo(1);
    assertThat(FixedPoint.roundHalfAway(0x1p52 + 1)).isEqualTo((1L << 52) + 1);
    assertThat(FixedPoint.roundHalfAway(-0x1p62)).isEqualTo(-(1L << 62));
    Random r = new Random(5L);
    for (int i = 0; i < 10_000; i++) {
      double x = (r.nextDouble() - 0.5) * Math.scalb(1.0, r.nextInt(60));
      BigDecimal exact = new BigDecimal(x).setScale(0, RoundingMode.HALF_UP);
      assertThat(FixedPoint.roundHalfAway(x)).as("%s", x).isEqualTo(exact.longValueExact());
    }
  }

  @Test
  void frexpNormalisesIncludingSubnormals() {
    assertThat(FixedPoint.frexp(1.0)).isEqualTo(new FixedPoint.Frexp(0.5, 1));
    assertThat(FixedPoint.frexp(-3.0)).isEqualTo(new FixedPoint.Frexp(-0.75, 2));
    assertThat(FixedPoint.frexp(Double.MIN_VALUE)).isEqualTo(new FixedPoint.Frexp(0.5, -1073));
    assertThat(FixedPoint.frexp(0.0)).isEqualTo(new FixedPoint.Frexp(0.0, 0));
  }

  @Test
  void requantizedValuesSaturateAtInt8AndInt16Bounds() {
    // The full output stage: multiply, add the zero point, clamp to the dtype.
    int m = MAX;
    assertThat(FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(MAX, m, -1) + 5, -128,
        127)).isEqualTo(127);
    assertThat(FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(MIN, m, 0) + 5, -128,
        127)).isEqualTo(-128);
    assertThat(FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(40_000L, 1 << 30, 1),
        -32768, 32767)).isEqualTo(32767);
    assertThat(FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(-40_000L, 1 << 30, 1),
        -32768, 32767)).isEqualTo(-32768);
    // Exactly at the edges nothing is clipped.
    assertThat(FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(254, 1 << 30, 0), -128,
        127)).isEqualTo(127);
    assertThat(FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(-256, 1 << 30, 0), -128,
        127)).isEqualTo(-128);
    assertThat(FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(-65536L, 1 << 30, 0),
        -32768, 32767)).isEqualTo(-32768);
    assertThat(FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(65534L, 1 << 30, 0),
        -32768, 32767)).isEqualTo(32767);
    assertThat(FixedPoint.clamp(128, -128, 127)).isEqualTo(127);
    assertThat(FixedPoint.clamp(-129L, -128L, 127L)).isEqualTo(-128L);
  }
}
