package io.kiln.sim.systolic;

import io.kiln.plan.schedule.GemmTile;
import io.kiln.plan.schedule.SystolicEngine;
import io.kiln.sim.ConvTile;
import io.kiln.sim.SimulationException;
import io.kiln.target.SystolicParameters.Im2col;
import io.kiln.target.SystolicParameters;
import java.util.Arrays;

/**
 * The sums of a conv job computed the way the systolic engine computes them, fold by fold on a
 * {@link Fold}, for the configured im2col method. The array takes the input bytes as they sit in
 * the SRAM arrays (int8, the padding reading the zero point) and int8 weights; the vector ALUs add
 * the drained partial sums into int32 accumulators and subtract the input offset once per output
 * channel ({@code offset · Σ w}, as a bias correction), so that the result is
 * {@code Σ (x - offset) · w} exactly whenever it fits in int32, as the lowered graph's does.
 *
 * <ul>
 *   <li>implicit channel-first: each SRAM array holds one input channel of the HWC tile (a copy
 *       per decomposed-filter tile when N tiles share the rows); a row block is N decomposed
 *       filters x C channels (or, for C &gt; rows, one filter x rows channels), and its A matrix
 *       is address generation: output position t of filter ⟨fy, fx⟩ reads position
 *       {@code (t_y·s + fy·d, t_x·s + fx·d)} of the array's channel, or the zero point outside;
 *   <li>channel-last implicit: the same arithmetic with another addressing (CHW words), which
 *       changes the SRAM traffic the engine times, not the sums;
 *   <li>explicit: the T x C·FY·FX im2col matrix is materialized in the filter's reduction order
 *       (fy, fx, c) and folded in row blocks of consecutive reduction rows;
 *   <li>depthwise: one channel at a time, its FY·FX taps on the rows and one column;
 *   <li>fully connected: the 1x1 case of the conv;
 *   <li>matmul (one batch): the 1x1 case whose weights, the right operand, have a zero point
 *       {@code wo}; the array still multiplies the raw int8 bytes, and the vector ALUs also
 *       subtract {@code wo · Σ (x - offset)} per output position (the row sums of the streamed
 *       input), so the result is {@code Σ (x - offset)(w - wo)} exactly. Its cycles are the
 *       engine's for the GEMM: the row sums are not timed apart.
 * </ul>
 */
public final class SystolicDataFlow implements ConvTile.Sums {
  private final SystolicEngine engine;
  private final Fold array;

  /** The data flow of {@code engine}'s configuration on {@code array} (of the engine's rows and cols). */
  public SystolicDataFlow(SystolicEngine engine, Fold array) {
    SystolicParameters p = engine.parameters();
    if (array.rows() != p.rows() || array.cols() != p.cols()) {
      throw new IllegalArgumentException("a " + array.rows() + "x" + array.cols() + " array for a "
          + p.rows() + "x" + p.cols() + " engine");
    }
    this.engine = engine;
    this.array = array;
  }

  @Override
  public long[] of(ConvTile t) {
    int rows = array.rows();
    int positions = t.positions();
    int[][] acc = new int[positions][t.k()];
    if (t.depthwise()) {
      depthwise(t, acc);
    } else if (engine.parameters().im2col() == Im2col.EXPLICIT) {
      explicit(t, acc);
    } else {
      implicit(t, acc, rows);
    }
    // The vector ALUs' zero-point correction: the array summed x·w over raw inputs.
    int[] correction = new int[t.k()];
    if (t.offset() != 0) {
      for (int k = 0; k < t.k(); k++) {
        int wsum = 0;
        for (int ty = 0; ty < t.fy(); ty++) {
          for (int tx = 0; tx < t.fx(); tx++) {
            for (int c = 0; c < t.weightChannels(); c++) {
              wsum += t.weight(k, ty, tx, c);
            }
          }
        }
        correction[k] = t.offset() * wsum;
      }
    }
    // And the weight zero point's: wo times each position's sum of offset inputs.
    long[] rowSums = t.weightOffset() != 0 ? t.inputSums() : new long[positions];
    long[] sums = new long[positions * t.k()];
    for (int p = 0; p < positions; p++) {
      int rowCorrection = (int) (t.weightOffset() * rowSums[p]);
      for (int k = 0; k < t.k(); k++) {
        sums[t.outputIndex(p, k)] = acc[p][k] - correction[k] - rowCorrection;
      }
    }
    return sums;
  }

  /**
   * The A matrix of a row block by address generation: row {@code r} of the array reads, for
   * output position p, the position decomposed filter (ty[r], tx[r]) touches in its SRAM array
   * {@code sram[r]}, or the zero point outside the tile.
   */
  private static void gather(ConvTile t, byte[][] sram, int[] ty, int[] tx, byte[][] a) {
    byte pad = (byte) t.pad();
    for (int p = 0; p < a.length; p++) {
      int ay = p / t.ox();
      int ax = p % t.ox();
      byte[] row = a[p];
      for (int r = 0; r < row.length; r++) {
        int iy = t.inputRow(ay, ty[r]);
        int ix = t.inputCol(ax, tx[r]);
        row[r] = iy < 0 || iy >= t.rows() || ix < 0 || ix >= t.cols() ? pad : sram[r][iy * t.cols() + ix];
      }
    }
  }

  /**
   * The SRAM arrays' contents for the channels {@code channel[r]} of the array rows: array r holds
   * its channel's plane of the input tile, position by position.
   */
  private static byte[][] fill(ConvTile t, int[] channel) {
    int plane = t.rows() * t.cols();
    byte[][] sram = new byte[channel.length][plane];
    for (int r = 0; r < channel.length; r++) {
      for (int iy = 0; iy < t.rows(); iy++) {
        for (int ix = 0; ix < t.cols(); ix++) {
          sram[r][iy * t.cols() + ix] = t.input()[t.inputIndex(iy, ix, channel[r])];
        }
      }
    }
    return sram;
  }

  private void implicit(ConvTile t, int[][] acc, int rows) {
    int taps = t.fy() * t.fx();
    GemmTile g = new GemmTile(t.k(), t.c(), t.fy(), t.fx(), Math.max(t.sy(), t.sx()), t.positions(),
        (long) t.rows() * t.cols(), 1, false);
    int n = engine.tiles(g);
    if (n > 1) {
      // N decomposed filters side by side: array j·C + c holds channel c (copy j).
      int[] channel = new int[n * t.c()];
      for (int r = 0; r < channel.length; r++) {
        channel[r] = r % t.c();
      }
      byte[][] sram = fill(t, channel);
      for (int first = 0; first < taps; first += n) {
        int used = Math.min(n, taps - first) * t.c();
        int[] tapOf = new int[used];
        for (int r = 0; r < used; r++) {
          tapOf[r] = first + r / t.c();
        }
        rowBlock(t, sram, tapOf, channel, used, acc);
      }
      return;
    }
    // One decomposed filter per row block, its channels in blocks of the rows.
    for (int c0 = 0; c0 < t.c(); c0 += rows) {
      int used = Math.min(rows, t.c() - c0);
      int[] channel = new int[used];
      for (int r = 0; r < used; r++) {
        channel[r] = c0 + r;
      }
      byte[][] sram = fill(t, channel);
      for (int tap = 0; tap < taps; tap++) {
        int[] tapOf = new int[used];
        Arrays.fill(tapOf, tap);
        rowBlock(t, sram, tapOf, channel, used, acc);
      }
    }
  }

  /** One row block: array row r is decomposed filter {@code tapOf[r]} of channel {@code channel[r]}. */
  private void rowBlock(ConvTile t, byte[][] sram, int[] tapOf, int[] channel, int used, int[][] acc) {
    int[] ty = new int[used];
    int[] tx = new int[used];
    for (int r = 0; r < used; r++) {
      ty[r] = tapOf[r] / t.fx();
      tx[r] = tapOf[r] % t.fx();
    }
    byte[][] a = new byte[t.positions()][used];
    gather(t, sram, ty, tx, a);
    byte[][] w = new byte[used][t.k()];
    for (int r = 0; r < used; r++) {
      for (int k = 0; k < t.k(); k++) {
        w[r][k] = (byte) t.weight(k, ty[r], tx[r], channel[r]);
      }
    }
    for (int k0 = 0; k0 < t.k(); k0 += array.cols()) {
      array.fold(a, w, 0, k0, acc);
    }
  }

  private void explicit(ConvTile t, int[][] acc) {
    int taps = t.fy() * t.fx();
    int reduction = taps * t.c();
    // The lowered matrix, built from the input tile (off-chip, as the engine times it): column
    // (fy·FX + fx)·C + c, the order the filter's reduction runs in.
    byte[][] m = new byte[t.positions()][reduction];
    byte pad = (byte) t.pad();
    for (int p = 0; p < m.length; p++) {
      int ay = p / t.ox();
      int ax = p % t.ox();
      byte[] row = m[p];
      for (int tap = 0; tap < taps; tap++) {
        int iy = t.inputRow(ay, tap / t.fx());
        int ix = t.inputCol(ax, tap % t.fx());
        boolean inside = iy >= 0 && iy < t.rows() && ix >= 0 && ix < t.cols();
        for (int c = 0; c < t.c(); c++) {
          row[tap * t.c() + c] = inside ? t.input()[t.inputIndex(iy, ix, c)] : pad;
        }
      }
    }
    byte[][] w = new byte[reduction][t.k()];
    for (int col = 0; col < reduction; col++) {
      for (int k = 0; k < t.k(); k++) {
        w[col][k] = (byte) t.weight(k, col / t.c() / t.fx(), col / t.c() % t.fx(), col % t.c());
      }
    }
    for (int c0 = 0; c0 < reduction; c0 += array.rows()) {
      for (int k0 = 0; k0 < t.k(); k0 += array.cols()) {
        array.fold(m, w, c0, k0, acc);
      }
    }
  }

  private void depthwise(ConvTile t, int[][] acc) {
    int taps = t.fy() * t.fx();
    int positions = t.positions();
    if (t.inC() != t.k()) {
      throw new SimulationException("a depthwise job of " + t.inC() + " input and " + t.k()
          + " output channels (the systolic data flow runs one channel per output channel)");
    }
    int[] channel = new int[1];
    int[][] one = new int[positions][1];
    for (int k = 0; k < t.k(); k++) {
      // One channel: its FY·FX decomposed filters on the rows, one column.
      channel[0] = k;
      byte[][] sram = fill(t, channel);
      byte[][] a = new byte[positions][taps];
      byte[][] w = new byte[taps][1];
      int[] ty = new int[taps];
      int[] tx = new int[taps];
      byte[][] copies = new byte[taps][];
      for (int tap = 0; tap < taps; tap++) {
        ty[tap] = tap / t.fx();
        tx[tap] = tap % t.fx();
        // The engine duplicates the channel per decomposed filter: the same bytes in each array.
        copies[tap] = sram[0];
        w[tap][0] = (byte) t.weight(k, ty[tap], tx[tap], 0);
      }
      gather(t, copies, ty, tx, a);
      for (int[] row : one) {
        row[0] = 0;
      }
      for (int c0 = 0; c0 < taps; c0 += array.rows()) {
        array.fold(a, w, c0, 0, one);
      }
      for (int p = 0; p < positions; p++) {
        acc[p][k] = one[p][0];
      }
    }
  }
}
