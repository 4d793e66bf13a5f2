package io.kiln.sim.systolic;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.plan.schedule.GemmTile;
import io.kiln.plan.schedule.SystolicEngine;
import io.kiln.target.SystolicParameters;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cycle-stepped array computes GEMMs exactly and its observed fold lengths are the weight
 * load plus the stream to the last valid sum; the fast fold computes the same int32 sums bit for
 * bit.
 */
class SystolicArrayTest {

  /** What the stepped array should observe for one fold: load the used rows, stream T through R rows to the last used column. */
  static long observedFold(int rows, int cUsed, int kUsed, long t) {
    return cUsed + t + rows + kUsed - 2;
  }

  @Test
  void seededGemmsAreExactAndFoldsLastTheirLoadAndStream() {
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
      long want = 0;
      long gap = 0;
      for (int c0 = 0; c0 < c; c0 += rows) {
        for (int k0 = 0; k0 < k; k0 += cols) {
          int cUsed = Math.min(rows, c - c0);
          int kUsed = Math.min(cols, k - k0);
          want += observedFold(rows, cUsed, kUsed, t);
          gap += (rows - cUsed) + (cols - kUsed);
        }
      }
      for (int tt = 0; tt < t; tt++) {
        for (int kk = 0; kk < k; kk++) {
          int sum = 0;
          for (int cc = 0; cc < c; cc++) {
            sum += a[tt][cc] * w[cc][kk];
          }
          assertThat(got[tt][kk]).isEqualTo(sum);
        }
      }
      SystolicEngine engine = new SystolicEngine(SystolicParameters.parse(
          "rows=" + rows + ",cols=" + cols + ",word=8,sram=1MiB"), 1000);
      SystolicEngine.Timing timing = engine.time(GemmTile.gemm(k, c, t));
      assertThat(array.folds()).isEqualTo(timing.folds());
      assertThat(array.cycles()).isEqualTo(want);
      // The closed form charges every fold the whole array (as SCALE-Sim does): the gap is the
      // unused rows and columns of the partial folds, nothing else.
      assertThat(timing.cycles() - array.cycles()).isEqualTo(gap);
      if (c % rows == 0 && k % cols == 0) {
        assertThat(array.cycles()).isEqualTo(timing.cycles());
      }
    }
  }

  @Test
  void aFullFoldLastsTwoRowsPlusColumnsPlusStreamMinusTwo() {
    SystolicArray array = new SystolicArray(8, 5);
    Random r = new Random(3);
    array.fold(random(r, 17, 8), random(r, 8, 5), 0, 0, new int[17][5]);
    assertThat(array.lastFoldCycles()).isEqualTo(2 * 8 + 5 + 17 - 2);
  }

  @Test
  void staleWeightsBelowAPartialBlockDoNotLeakIntoItsSums() {
    // A full fold leaves weights in every PE; a 2-row fold after it must not see the other rows.
    Random r = new Random(5);
    SystolicArray array = new SystolicArray(6, 4);
    array.fold(random(r, 9, 6), random(r, 6, 4), 0, 0, new int[9][4]);
    byte[][] a = random(r, 9, 2);
    byte[][] w = random(r, 2, 4);
    int[][] got = new int[9][4];
    array.fold(a, w, 0, 0, got);
    int[][] want = new int[9][4];
    new FastFold(6, 4).fold(a, w, 0, 0, want);
    assertThat(got).isEqualTo(want);
  }

  @Test
  void theFastFoldEqualsTheSteppedFoldBitForBit() {
    Random r = new Random(2026);
    for (int i = 0; i < 120; i++) {
      int rows = 1 + r.nextInt(12);
      int cols = 1 + r.nextInt(12);
      // Matrices smaller and larger than the array in each dimension, blocks at any offset.
      int t = 1 + r.nextInt(30);
      int c = 1 + r.nextInt(3 * rows);
      int k = 1 + r.nextInt(3 * cols);
      int c0 = r.nextInt(c);
      int k0 = r.nextInt(k);
      byte[][] a = random(r, t, c);
      byte[][] w = random(r, c, k);
      if (r.nextInt(4) == 0) {
        // Extreme operands: -128 x -128 products.
        for (byte[] row : a) {
          java.util.Arrays.fill(row, (byte) -128);
        }
        for (byte[] row : w) {
          java.util.Arrays.fill(row, (byte) -128);
        }
      }
      int[][] stepped = new int[t][k];
      int[][] fast = new int[t][k];
      for (int tt = 0; tt < t; tt++) {
        for (int kk = 0; kk < k; kk++) {
          // Accumulators already holding sums, some near the int32 limits (the adds wrap alike).
          int v = r.nextInt(3) == 0 ? Integer.MAX_VALUE - r.nextInt(1 << 16) : r.nextInt();
          stepped[tt][kk] = v;
          fast[tt][kk] = v;
        }
      }
      new SystolicArray(rows, cols).fold(a, w, c0, k0, stepped);
      new FastFold(rows, cols).fold(a, w, c0, k0, fast);
      assertThat(fast).as("%dx%d array, T=%d C=%d K=%d at (%d, %d)", rows, cols, t, c, k, c0, k0)
          .isEqualTo(stepped);
    }
  }

  static byte[][] random(Random r, int n, int m) {
    byte[][] out = new byte[n][];
    for (int i = 0; i < n; i++) {
      out[i] = bytes(r, m);
    }
    return out;
  }

  static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }
}
