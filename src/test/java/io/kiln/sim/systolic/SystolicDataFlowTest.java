package io.kiln.sim.systolic;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.plan.schedule.GemmTile;
import io.kiln.plan.schedule.SystolicEngine;
import io.kiln.sim.ConvTile;
import io.kiln.target.SystolicParameters;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The systolic data flow of a conv job (implicit channel-first with one or several decomposed
 * filters on the rows, channel-last, explicit, depthwise, 1x1) gives the sums of the reference
 * loop, on the cycle-stepped array and on the fast fold, for strided, dilated, padded tiles with
 * and without an input offset.
 */
class SystolicDataFlowTest {

  static ConvTile randomTile(Random r, boolean depthwise) {
    int c = 1 + r.nextInt(depthwise ? 6 : 20);
    int k = depthwise ? c : 1 + r.nextInt(12);
    int f = 1 + r.nextInt(4);
    int fx = r.nextBoolean() ? f : 1 + r.nextInt(4);
    int s = 1 + r.nextInt(3);
    int d = r.nextInt(4) == 0 ? 2 : 1;
    int oy = 1 + r.nextInt(5);
    int ox = 1 + r.nextInt(5);
    int pad = r.nextInt(2);
    int rows = Math.max(1, (oy - 1) * s + (f - 1) * d + 1 - 2 * pad + r.nextInt(2));
    int cols = Math.max(1, (ox - 1) * s + (fx - 1) * d + 1 - 2 * pad + r.nextInt(2));
    int inC = depthwise ? k : c;
    byte[] in = SystolicArrayTest.bytes(r, rows * cols * inC);
    byte[] w = SystolicArrayTest.bytes(r, k * f * fx * (depthwise ? 1 : c));
    int zp = r.nextInt(256) - 128;
    // TFLite subtracts the zero point (and padding adds nothing); shift stages keep it in the bias.
    int offset = r.nextBoolean() ? zp : 0;
    return new ConvTile(depthwise, r.nextInt(4) == 0, rows, cols, inC, in, offset, zp, k, c, f, fx, s,
        s, d, d, -pad, -pad, oy, ox, w);
  }

  static SystolicDataFlow flow(String spec, boolean stepped) {
    SystolicEngine e = new SystolicEngine(SystolicParameters.parse(spec), 1000);
    int rows = e.parameters().rows();
    int cols = e.parameters().cols();
    return new SystolicDataFlow(e, stepped ? new SystolicArray(rows, cols) : new FastFold(rows, cols));
  }

  @Test
  void everyIm2colMethodGivesTheReferenceSums() {
    Random r = new Random(1212);
    String[] specs = {"im2col=implicit", "im2col=explicit", "im2col=channel_last", "im2col=implicit,tiles=2",
        "im2col=implicit,tiles=1", "im2col=implicit,tiles=4"};
    for (int i = 0; i < 150; i++) {
      ConvTile t = randomTile(r, i % 5 == 4);
      long[] want = ConvTile.DIRECT.of(t);
      int rows = 1 + r.nextInt(16);
      int cols = 1 + r.nextInt(8);
      for (String spec : specs) {
        String full = "rows=" + rows + ",cols=" + cols + ",sram=1MiB," + spec;
        if (spec.contains("tiles=") && rows < Integer.parseInt(spec.substring(spec.indexOf("tiles=") + 6))) {
          continue;
        }
        assertThat(flow(full, false).of(t)).as("%s on %s (fast)", describe(t), full).isEqualTo(want);
        if (i % 10 == 0) {
          assertThat(flow(full, true).of(t)).as("%s on %s (stepped)", describe(t), full).isEqualTo(want);
        }
      }
    }
  }

  /**
   * A matmul batch is the 1x1 tile whose weights (the right operand) have a zero point: the array
   * multiplies raw bytes and the vector ALUs' row-sum correction makes the sums Σ (x - zx)(w - zw)
   * exactly, at the int8 extremes too, under every im2col method.
   */
  @Test
  void aMatmulsWeightZeroPointIsExact() {
    Random r = new Random(77);
    for (int i = 0; i < 60; i++) {
      int c = 1 + r.nextInt(40);
      int k = 1 + r.nextInt(20);
      int positions = 1 + r.nextInt(12);
      byte[] in = SystolicArrayTest.bytes(r, positions * c);
      byte[] w = SystolicArrayTest.bytes(r, k * c);
      if (i % 10 == 0) {
        java.util.Arrays.fill(in, (byte) -128);
        java.util.Arrays.fill(w, (byte) 127);
      }
      int zx = i % 10 == 0 ? 127 : r.nextInt(256) - 128;
      int zw = i % 10 == 0 ? -128 : r.nextInt(256) - 128;
      ConvTile t = new ConvTile(false, false, 1, positions, c, in, zx, zx, k, c, 1, 1, 1, 1, 1, 1, 0, 0, 1,
          positions, w, zw);
      long[] want = new long[positions * k];
      for (int p = 0; p < positions; p++) {
        for (int kk = 0; kk < k; kk++) {
          long sum = 0;
          for (int ch = 0; ch < c; ch++) {
            sum += (long) (in[p * c + ch] - zx) * (w[kk * c + ch] - zw);
          }
          want[p * k + kk] = sum;
        }
      }
      assertThat(ConvTile.DIRECT.of(t)).isEqualTo(want);
      for (String spec : new String[] {"im2col=implicit", "im2col=explicit", "im2col=channel_last"}) {
        String full = "rows=" + (1 + r.nextInt(16)) + ",cols=" + (1 + r.nextInt(8)) + ",sram=1MiB," + spec;
        assertThat(flow(full, i % 6 == 0).of(t)).as("matmul tile %d on %s", i, full).isEqualTo(want);
      }
    }
  }

  @Test
  void multiTilePacksDecomposedFiltersOnTheRowsAndFoldsFewerTimes() {
    // C = 3 on 16 rows with tiles=5: five 3-row decomposed filters per row block, 9 taps in 2 blocks.
    Random r = new Random(4);
    byte[] in = SystolicArrayTest.bytes(r, 6 * 6 * 3);
    byte[] w = SystolicArrayTest.bytes(r, 4 * 9 * 3);
    ConvTile t = new ConvTile(false, false, 6, 6, 3, in, -5, -5, 4, 3, 3, 3, 1, 1, 1, 1, -1, -1, 6, 6, w);
    SystolicEngine e = new SystolicEngine(SystolicParameters.parse("rows=16,cols=4,sram=1MiB,tiles=5"), 1000);
    SystolicArray array = new SystolicArray(16, 4);
    assertThat(new SystolicDataFlow(e, array).of(t)).isEqualTo(ConvTile.DIRECT.of(t));
    assertThat(array.folds()).isEqualTo(2).isEqualTo(e.time(new GemmTile(4, 3, 3, 3, 1, 36, 36, 1, false)).folds());
  }

  @Test
  void aDroppedRowBlockChangesTheSums() {
    Random r = new Random(9);
    ConvTile t = new ConvTile(false, false, 5, 5, 4, SystolicArrayTest.bytes(r, 100), 0, 0, 3, 4, 3, 3, 1, 1, 1,
        1, -1, -1, 5, 5, SystolicArrayTest.bytes(r, 3 * 9 * 4));
    SystolicEngine e = new SystolicEngine(SystolicParameters.parse("rows=4,cols=4,sram=1MiB"), 1000);
    FastFold fast = new FastFold(4, 4);
    int[] calls = {0};
    Fold dropsTheFifth = new Fold() {
      @Override
      public void fold(byte[][] a, byte[][] w, int c0, int k0, int[][] acc) {
        if (calls[0]++ != 4) {
          fast.fold(a, w, c0, k0, acc);
        }
      }

      @Override
      public int rows() {
        return 4;
      }

      @Override
      public int cols() {
        return 4;
      }
    };
    assertThat(new SystolicDataFlow(e, dropsTheFifth).of(t)).isNotEqualTo(ConvTile.DIRECT.of(t));
    assertThat(calls[0]).isEqualTo(9);
  }

  private static String describe(ConvTile t) {
    return (t.depthwise() ? "dw " : "conv ") + t.rows() + "x" + t.cols() + "x" + t.inC() + " k=" + t.k() + " "
        + t.fy() + "x" + t.fx() + "/" + t.sy() + " d" + t.dy() + " out " + t.oy() + "x" + t.ox() + " offset "
        + t.offset() + (t.chw() ? " chw" : "");
  }
}
