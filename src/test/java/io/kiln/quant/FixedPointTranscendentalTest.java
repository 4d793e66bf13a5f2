package io.kiln.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The gemmlowp-style exp, logistic, tanh and reciprocal helpers against double references. */
class FixedPointTranscendentalTest {
  private static final double Q31 = 0x1p31;

  private static double real(int raw, int integerBits) {
    return raw / Math.scalb(1.0, 31 - integerBits);
  }

  private static int raw(double v, int integerBits) {
    return (int) Math.round(v * Math.scalb(1.0, 31 - integerBits));
  }

  @Test
  void expOnNegativeValuesTracksExpAcrossFormats() {
    Random rnd = new Random(20261122);
    for (int bits : new int[] {0, 1, 3, 4, 5, 6, 8}) {
      double lo = -Math.min(Math.scalb(1.0, bits), 32.0);
      for (int i = 0; i < 2000; i++) {
        double x = lo * rnd.nextDouble();
        int a = raw(x, bits);
        double got = real(FixedPoint.expOnNegativeValues(a, bits), 0);
        assertThat(got).as("exp(%s) in Q%d", x, bits).isCloseTo(Math.exp(real(a, bits)),
            within(2e-7 + 1e-6 * Math.exp(real(a, bits))));
      }
    }
  }

  @Test
  void expBoundaries() {
    assertThat(FixedPoint.expOnNegativeValues(0, 5)).isEqualTo(Integer.MAX_VALUE);
    // exp(-1) goes through the polynomial (for -1/4) and two barrel-shifter factors; the
    // result is within about 1e-7 of exp(-1) = 790015084 * 2^-31.
    assertThat(FixedPoint.expOnNegativeValues(-(1 << 26), 5)).isCloseTo(790015084, within(300));
    // Below -32 the result is flushed to zero in formats that can express it.
    assertThat(FixedPoint.expOnNegativeValues(raw(-33.0, 6), 6)).isZero();
    assertThat(FixedPoint.expOnNegativeValues(Integer.MIN_VALUE, 5)).isBetween(0, 10);
    // Just below zero the result is within the approximation error (about 2.5e-7) of one.
    assertThat(FixedPoint.expOnNegativeValues(-1, 5)).isGreaterThan(Integer.MAX_VALUE - 1000);
  }

  @Test
  void logisticAndTanhTrackDoubles() {
    Random rnd = new Random(7);
    for (int bits : new int[] {0, 2, 3, 4, 5}) {
      double range = Math.scalb(1.0, bits);
      for (int i = 0; i < 2000; i++) {
        int a = raw((rnd.nextDouble() * 2 - 1) * range * 0.999, bits);
        double x = real(a, bits);
        assertThat(real(FixedPoint.logistic(a, bits), 0)).as("logistic(%s) Q%d", x, bits)
            .isCloseTo(1 / (1 + Math.exp(-x)), within(3e-7));
        assertThat(real(FixedPoint.tanh(a, bits), 0)).as("tanh(%s) Q%d", x, bits)
            .isCloseTo(Math.tanh(x), within(6e-7));
      }
    }
  }

  @Test
  void logisticAndTanhAtZeroAndExtremes() {
    assertThat(FixedPoint.logistic(0, 4)).isEqualTo(1 << 30);
    assertThat(FixedPoint.tanh(0, 4)).isZero();
    assertThat(FixedPoint.logistic(Integer.MAX_VALUE, 4)).isGreaterThan(Integer.MAX_VALUE - 300);
    assertThat(FixedPoint.logistic(Integer.MIN_VALUE + 1, 4)).isBetween(0, 300);
    assertThat(FixedPoint.tanh(Integer.MAX_VALUE, 4)).isGreaterThan(Integer.MAX_VALUE - 10);
    assertThat(FixedPoint.tanh(Integer.MIN_VALUE + 1, 4)).isLessThan(Integer.MIN_VALUE + 10);
    // Odd and complementary symmetry hold exactly by construction.
    int a = raw(1.3, 4);
    assertThat(FixedPoint.tanh(-a, 4)).isEqualTo(-FixedPoint.tanh(a, 4));
    assertThat(FixedPoint.logistic(-a, 4)).isEqualTo(
        Integer.MAX_VALUE - FixedPoint.logistic(a, 4));
  }

  @Test
  void oneOverOnePlusXAndReciprocal() {
    Random rnd = new Random(3);
    for (int i = 0; i < 5000; i++) {
      int a = rnd.nextInt(Integer.MAX_VALUE);
      double x = a / Q31;
      assertThat(FixedPoint.oneOverOnePlusXForXIn01(a) / Q31).isCloseTo(1 / (1 + x),
          within(3e-9));
      assertThat(FixedPoint.oneMinusXOverOnePlusXForXIn01(a) / Q31).isCloseTo(
          (1 - x) / (1 + x), within(6e-9));
    }
    for (int i = 0; i < 5000; i++) {
      int x = 1 + rnd.nextInt(Integer.MAX_VALUE - 1);
      FixedPoint.Reciprocal r = FixedPoint.reciprocal(x, 12);
      double expected = 1 / real(x, 12);
      double got = r.raw() / Q31 * Math.scalb(1.0, -r.numBitsOverUnit());
      assertThat(got).isCloseTo(expected, within(expected * 1e-8));
    }
    assertThatThrownBy(() -> FixedPoint.reciprocal(0, 12))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void saturatingRoundingMultiplyByPotBoundaries() {
    assertThat(FixedPoint.saturatingRoundingMultiplyByPot(5, 0)).isEqualTo(5);
    assertThat(FixedPoint.saturatingRoundingMultiplyByPot(5, -1)).isEqualTo(3); // 2.5 -> 3
    assertThat(FixedPoint.saturatingRoundingMultiplyByPot(-5, -1)).isEqualTo(-3);
    assertThat(FixedPoint.saturatingRoundingMultiplyByPot(1 << 29, 1)).isEqualTo(1 << 30);
    assertThat(FixedPoint.saturatingRoundingMultiplyByPot(1 << 30, 1))
        .isEqualTo(Integer.MAX_VALUE);
    assertThat(FixedPoint.saturatingRoundingMultiplyByPot(-(1 << 30), 1))
        .isEqualTo(Integer.MIN_VALUE);
    assertThat(FixedPoint.saturatingRoundingMultiplyByPot(-(1 << 30) + 1, 1))
        .isEqualTo(-(1 << 31) + 2);
    assertThat(FixedPoint.saturatingRoundingMultiplyByPot(Integer.MAX_VALUE, -31)).isEqualTo(1);
    assertThat(FixedPoint.saturatingRoundingMultiplyByPot(3, 31)).isEqualTo(Integer.MAX_VALUE);
    assertThat(FixedPoint.rescale(1 << 19, 12, 0)).isEqualTo(Integer.MAX_VALUE);
    assertThat(FixedPoint.rescale(Integer.MAX_VALUE, 0, 12)).isEqualTo(1 << 19);
  }

  @Test
  void roundingHalfSumRoundsAwayFromZeroWithoutOverflow() {
    assertThat(FixedPoint.roundingHalfSum(1, 2)).isEqualTo(2);
    assertThat(FixedPoint.roundingHalfSum(-1, -2)).isEqualTo(-2);
    assertThat(FixedPoint.roundingHalfSum(Integer.MAX_VALUE, Integer.MAX_VALUE))
        .isEqualTo(Integer.MAX_VALUE);
    assertThat(FixedPoint.roundingHalfSum(Integer.MIN_VALUE, Integer.MIN_VALUE))
        .isEqualTo(Integer.MIN_VALUE);
  }

  @Test
  void multipliersSmallerAndGreaterThanOne() {
    // 0.75 = (3 << 29) * 2^-31 with shift 0; smaller-than-one applies a right shift after.
    assertThat(FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(1000, 3 << 29, 0))
        .isEqualTo(750);
    assertThat(FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(1000, 3 << 29, -2))
        .isEqualTo(188); // 187.5 rounds away from zero
    assertThat(FixedPoint.multiplyByQuantizedMultiplierGreaterThanOne(1000, 3 << 29, 3))
        .isEqualTo(6000);
  }

  @Test
  void softmaxScalingAndInputRadiusMatchTflite() {
    // beta 1, scale 1/16: 2^26 / 16 = 2^22 -> multiplier 2^30, shift 23.
    FixedPoint.QuantizedMultiplier m = FixedPoint.preprocessSoftmaxScaling(1.0, 1.0 / 16, 5);
    assertThat(m).isEqualTo(new FixedPoint.QuantizedMultiplier(1 << 30, 23));
    // 31 * 2^26 / 2^23 = 248.
    assertThat(FixedPoint.calculateInputRadius(5, 23, 31)).isEqualTo(248);
    assertThat(FixedPoint.calculateInputRadius(4, 24, 31)).isEqualTo(120);
    // Huge scales are capped at 2^31 - 1.
    FixedPoint.QuantizedMultiplier capped = FixedPoint.preprocessSoftmaxScaling(1e6, 1e6, 5);
    assertThat(capped.shift()).isEqualTo(31);
    assertThatThrownBy(() -> FixedPoint.preprocessSoftmaxScaling(1.0, 1e-12, 5))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
