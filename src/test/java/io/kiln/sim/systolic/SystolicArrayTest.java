package io.kiln.sim.systolic;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.target.SystolicParameters;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cycle-stepped array computes GEMMs exactly and takes the cycles of the engine's closed
 * form (the SCALE-Sim fold), and the implicit channel-first im2col on it equals a direct conv.
 */
class SystolicArrayTest {

  @Test
  void seededGemmsAreExactAndTakeTheFoldModelsCycles() {
    Random r = new Random(7);
    for (int i = 0; i < 60; i++) {
      int rows = 1 + r.nextInt(9);
      int cols = 1 + r.nextInt(9);
      int t = 1 + r.nextInt(40);
      int c = 1 + r.nextInt(30);
      int k = 1 + r.nextInt(30);
      byte[][] a = random(r, t, c);
      byte[][] w = random(r, c, k);
      SystolicArray array = new SystolicArray(rows, cols);
      int[][] got = array.gemm(a, w);
      for (int tt = 0; tt < t; tt++) {
        for (int kk = 0; kk < k; kk++) {
          int want = 0;
          for (int cc = 0; cc < c; cc++) {
            want += a[tt][cc] * w[cc][kk];
          }
          assertThat(got[tt][kk]).isEqualTo(want);
        }
      }
      SystolicEngine engine = new SystolicEngine(SystolicParameters.parse(
          "rows=" + rows + ",cols=" + cols + ",word=8,sram=1MiB"), 1000);
      SystolicEngine.Timing timing = engine.time(GemmTile.gemm(k, c, t));
      assertThat(array.folds()).isEqualTo(timing.folds());
      // No port conflict at 8-element words: the stepped array and the closed form agree exactly.
      assertThat(array.cycles()).isEqualTo(timing.cycles())
          .isEqualTo(SystolicEngineTest.scaleSim(rows, cols, k, c, t));
    }
  }

  @Test
  void theImplicitIm2colOfAStridedPaddedConvEqualsTheDirectConv() {
    Random r = new Random(11);
    for (int stride = 1; stride <= 4; stride++) {
      int iy = 9;
      int ix = 11;
      int c = 5;
      int k = 7;
      int f = 3;
      int pad = 1;
      int oy = (iy + 2 * pad - f) / stride + 1;
      int ox = (ix + 2 * pad - f) / stride + 1;
      byte[] in = bytes(r, iy * ix * c);
      byte[] filter = bytes(r, k * f * f * c);
      byte zp = (byte) -3;
      int[][] got = ImplicitConv.run(new SystolicArray(4, 3), in, iy, ix, c, filter, k, f, f,
          stride, pad, oy, ox, zp);
      for (int o = 0; o < oy * ox; o++) {
        for (int kk = 0; kk < k; kk++) {
          int want = 0;
          for (int y = 0; y < f; y++) {
            for (int x = 0; x < f; x++) {
              int sy = (o / ox) * stride + y - pad;
              int sx = (o % ox) * stride + x - pad;
              for (int ch = 0; ch < c; ch++) {
                int v = sy >= 0 && sy < iy && sx >= 0 && sx < ix ? in[(sy * ix + sx) * c + ch] : zp;
                want += v * filter[((kk * f + y) * f + x) * c + ch];
              }
            }
          }
          assertThat(got[o][kk]).as("stride %d output %d channel %d", stride, o, kk).isEqualTo(want);
        }
      }
    }
  }

  private static byte[][] random(Random r, int n, int m) {
    byte[][] out = new byte[n][];
    for (int i = 0; i < n; i++) {
      out[i] = bytes(r, m);
    }
    return out;
  }

  private static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }
}
