package io.kiln.interp.signal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The front-end arithmetic against independent formulations and at its boundaries. */
class SignalMathTest {

  /** TFLM's rounding rule: floor(sqrt(n)) plus one when the remainder exceeds the root. */
  private static long expectedSqrt(BigInteger n, long cap) {
    BigInteger r = n.sqrt();
    BigInteger rem = n.subtract(r.multiply(r));
    long root = r.longValueExact();
    return rem.compareTo(r) > 0 && root != cap ? root + 1 : root;
  }

  @Test
  void sqrt32MatchesTheRoundedRootOnBoundariesAndRandomValues() {
    long[] edges = {0, 1, 2, 3, 4, 15, 16, 17, 0xFFFF, 0x10000, 0xFFFE0001L, 0xFFFF_FFFFL,
        0x8000_0000L, 0x7FFF_FFFFL};
    for (long v : edges) {
      assertThat(Integer.toUnsignedLong(SignalMath.sqrt32((int) v))).as("sqrt32(%d)", v)
          .isEqualTo(expectedSqrt(BigInteger.valueOf(v), 0xFFFF));
    }
    SplittableRandom rng = new SplittableRandom(32);
    for (int i = 0; i < 20000; i++) {
      long v = rng.nextLong() >>> (32 + rng.nextInt(32));
      assertThat(Integer.toUnsignedLong(SignalMath.sqrt32((int) v)))
          .isEqualTo(expectedSqrt(BigInteger.valueOf(v), 0xFFFF));
    }
  }

  @Test
  void sqrt64AboveTwoToThe32MatchesTheRoundedRoot() {
    SplittableRandom rng = new SplittableRandom(64);
    for (int i = 0; i < 20000; i++) {
      long v = rng.nextLong() >>> rng.nextInt(31);
      if (v >>> 32 == 0) {
        continue;
      }
      BigInteger n = new BigInteger(Long.toUnsignedString(v));
      assertThat(Integer.toUnsignedLong(SignalMath.sqrt64(v))).as("sqrt64(%s)", n)
          .isEqualTo(expectedSqrt(n, 0xFFFF_FFFFL));
    }
    assertThat(Integer.toUnsignedLong(SignalMath.sqrt64(-1L))).isEqualTo(0xFFFF_FFFFL);
  }

  @Test
  void msbCountsFromOneAndZeroGivesTheWordSize() {
    assertThat(SignalMath.msb32(0)).isEqualTo(32);
    assertThat(SignalMath.msb32(1)).isEqualTo(1);
    assertThat(SignalMath.msb32(-1)).isEqualTo(32);
    assertThat(SignalMath.msb64(0)).isEqualTo(64);
    assertThat(SignalMath.msb64(1L << 40)).isEqualTo(41);
  }

  @Test
  void windowSaturatesToInt16AndShiftsArithmetically() {
    int[] out = new int[4];
    SignalMath.window(new int[] {32767, -32768, -1, 100}, new int[] {32767, 32767, 1, 2}, 0, out);
    assertThat(out).containsExactly(32767, -32768, -1, 200);
    SignalMath.window(new int[] {-3, 3, -32768, 32767}, new int[] {1}, 1, out);
    // -3 >> 1 is -2 (floor), as C's arithmetic shift on int32.
    assertThat(out).containsExactly(-2, 1, -16384, 16383);
  }

  @Test
  void fftScaleBitsUsesFifteenBitsAndNeverGoesNegative() {
    assertThat(SignalMath.fftScaleBits(new int[] {0, 0})).isZero();
    assertThat(SignalMath.fftScaleBits(new int[] {1, -1})).isEqualTo(14);
    assertThat(SignalMath.fftScaleBits(new int[] {-16384})).isZero();
    assertThat(SignalMath.fftScaleBits(new int[] {-16383, 5})).isEqualTo(1);
    assertThat(SignalMath.fftScaleBits(new int[] {-32768})).isZero();
    assertThat(SignalMath.fftScaleBits(new int[] {32767})).isZero();
  }

  @Test
  void logLutIsTheLog2CorrectionAndLogIsMonotoneAndClose() {
    int[] lut = SignalMath.logLut129();
    assertThat(lut).hasSize(129);
    assertThat(lut[0]).isZero();
    assertThat(lut[128]).isZero();
    assertThat(lut[64]).isEqualTo((int) Math.round(65536 * (Math.log(1.5) / Math.log(2) - 0.5)));
    for (int i = 0; i < 5000; i++) {
      long x = 2 + (long) i * i * 170;
      long got = SignalMath.log32((int) x, 1600);
      assertThat((double) got).isCloseTo(1600 * Math.log(x), org.assertj.core.data.Offset.offset(
          2.0 + 1e-3 * 1600 * Math.log(x)));
    }
    int[] out = new int[3];
    SignalMath.filterBankLog(new int[] {0, 1, -1}, 0, 1600, out);
    // 0 and 1 give 0; 2^32-1 gives 1600 * ln(2^32), which the int16 cap holds at 32767.
    assertThat(out).containsExactly(0, 0, 32767);
  }

  @Test
  void energyWritesOnlyItsBinsAndWrapsToUint32() {
    int[] out = new int[3];
    SignalMath.energy(new int[] {9, 9, -32768, -32768, 3, 4}, 1, 3, out);
    assertThat(out[0]).isZero();
    assertThat(Integer.toUnsignedLong(out[1])).isEqualTo(1L << 31);
    assertThat(out[2]).isEqualTo(25);
  }

  @Test
  void filterBankSplitsEachBinBetweenNeighbouringChannels() {
    // Two channels over bins 0..3: channel table entry 0 is scratch, as in TFLM.
    int[] energy = {10, 20, 30, 40};
    int[] weights = {0, 1024, 2048, 3072};
    int[] unweights = {4096, 3072, 2048, 1024};
    long[] out = new long[2];
    SignalMath.filterBank(energy, weights, unweights, new int[] {0, 1, 3}, new int[] {0, 1, 3},
        new int[] {1, 2, 1}, 2, out);
    assertThat(out[0]).isEqualTo(10L * 4096 + 20L * 1024 + 30L * 2048);
    assertThat(out[1]).isEqualTo(20L * 3072 + 30L * 2048 + 40L * 3072);
  }

  @Test
  void noiseEstimateConvergesToAConstantSignalAndSubtractionKeepsTheFloor() {
    SignalMath.SpectralParams p = new SignalMath.SpectralParams(655, 15729, 655, 15729, 819, 10,
        14, false);
    int[] noise = new int[2];
    int[] in = {1000, 1000};
    int[] out = new int[2];
    for (int frame = 0; frame < 2000; frame++) {
      SignalMath.noiseEstimate(p, in, noise);
      SignalMath.spectralSubtraction(p, in, noise, out);
    }
    assertThat(noise[0] >> 10).isBetween(990, 1000);
    // Nearly all of a stationary signal is noise: the output falls to the 5% floor.
    assertThat(out[0]).isEqualTo((int) ((1000L * 819) >> 14));
  }

  @Test
  void pcanShrinkIsQuadraticBelowTwoAndLinearAbove() {
    assertThat(SignalMath.pcanShrink(0)).isZero();
    // x = 1.0 in Q12 -> 1/4 in Q6 = 16.
    assertThat(SignalMath.pcanShrink(1 << 12)).isEqualTo(16);
    // x = 3.0 in Q12 -> 2.0 in Q6 = 128.
    assertThat(SignalMath.pcanShrink(3 << 12)).isEqualTo(128);
  }
}
