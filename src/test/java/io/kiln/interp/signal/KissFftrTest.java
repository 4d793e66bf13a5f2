package io.kiln.interp.signal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fixed-point real FFT against a double-precision DFT: kiss_fft scales by 1/N overall, so
 * each bin must be the exact DFT over N within the few LSB its per-stage rounding costs.
 */
class KissFftrTest {

  @Test
  void factorsLikeKissFft() {
    assertThat(KissFftr.factor(256)).containsExactly(4, 64, 4, 16, 4, 4, 4, 1);
    assertThat(KissFftr.factor(128)).containsExactly(4, 32, 4, 8, 4, 2, 2, 1);
    assertThat(KissFftr.factor(2)).containsExactly(2, 1);
  }

  @Test
  void randomFramesMatchTheScaledDftWithinAFewLsb() {
    SplittableRandom rng = new SplittableRandom(512);
    for (int n : new int[] {8, 64, 256, 512}) {
      KissFftr fft = new KissFftr(n);
      for (int trial = 0; trial < 20; trial++) {
        int[] x = new int[n];
        int amplitude = 1 + rng.nextInt(32767);
        for (int i = 0; i < n; i++) {
          x[i] = rng.nextInt(2 * amplitude + 1) - amplitude;
        }
        int[] got = new int[n + 2];
        fft.forward(x, got);
        for (int k = 0; k <= n / 2; k++) {
          double re = 0;
          double im = 0;
          for (int i = 0; i < n; i++) {
            double ph = -2 * Math.PI * k * i / n;
            re += x[i] * Math.cos(ph);
            im += x[i] * Math.sin(ph);
          }
          double tol = 2 + Math.log(n) / Math.log(2);
          assertThat((double) got[2 * k]).as("n=%d bin %d re", n, k).isCloseTo(re / n, within(tol));
          assertThat((double) got[2 * k + 1]).as("n=%d bin %d im", n, k)
              .isCloseTo(im / n, within(tol));
        }
        assertThat(got[1]).isZero();
        assertThat(got[n + 1]).isZero();
      }
    }
  }
}
