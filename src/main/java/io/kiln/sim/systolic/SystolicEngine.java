package io.kiln.sim.systolic;

import io.kiln.target.SystolicParameters;
import io.kiln.target.SystolicParameters.Im2col;

/**
 * The timing of a weight-stationary systolic array fed by one single-port SRAM array per PE row: a
 * GEMM tile is cut into folds (one weight block of at most rows x cols loaded into the array),
 * each fold loads its weights, streams its T input vectors through the array with the rows
 * skewed by one cycle, and drains; the vector ALUs add each drained row of partial sums to the
 * accumulators as it leaves, so accumulation costs no cycles of its own. Every SRAM array has
 * one port: the words the fold reads and the words written for the next fold (double buffering)
 * share it, and a fold whose port work exceeds its own length stalls for the difference. The
 * im2col method decides the folds, the words read and written and the on-chip workspace.
 */
public final class SystolicEngine {
  private final SystolicParameters p;
  private final double offChipBytesPerCycle;

  /** An engine with {@code offChipBytesPerCycle} of off-chip bandwidth for spilled im2col matrices. */
  public SystolicEngine(SystolicParameters p, double offChipBytesPerCycle) {
    this.p = p;
    this.offChipBytesPerCycle = offChipBytesPerCycle;
  }

  public SystolicParameters parameters() {
    return p;
  }

  /** What one tile costs. */
  public record Timing(long cycles, long folds, long streamCycles, long weightLoadCycles,
      long stallCycles, long sramReads, long sramWrites, long workspaceBytes, long offChipBytes,
      long offChipCycles, long macs, int tiles) {

    /** MACs over what the array could do in these cycles. */
    public double utilization(SystolicParameters p) {
      return cycles == 0 ? 0 : (double) macs / ((double) cycles * p.rows() * p.cols());
    }

    /** Fraction of the SRAM ports' cycles with neither a read nor a write. */
    public double portIdle() {
      return cycles == 0 ? 0 : Math.max(0, 1 - (double) (sramReads + sramWrites) / cycles);
    }

    Timing plus(Timing o) {
      return new Timing(cycles + o.cycles, folds + o.folds, streamCycles + o.streamCycles,
          weightLoadCycles + o.weightLoadCycles, stallCycles + o.stallCycles,
          sramReads + o.sramReads, sramWrites + o.sramWrites,
          Math.max(workspaceBytes, o.workspaceBytes), offChipBytes + o.offChipBytes,
          offChipCycles + o.offChipCycles, macs + o.macs, Math.max(tiles, o.tiles));
    }
  }

  public static final Timing ZERO = new Timing(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  /**
   * Cycles of one fold in the SCALE-Sim weight-stationary model: R cycles to shift the weights
   * in, then T input vectors enter over T cycles, the last one needs R - 1 more to reach the
   * bottom row (the skew) and C - 1 to leave the last column: {@code 2R + C + T - 2}.
   */
  public long foldCycles(long t) {
    return 2L * p.rows() + p.cols() + t - 2;
  }

  /** The decomposed-filter tiles side by side on the rows for a layer (1 for C >= rows). */
  public int tiles(GemmTile g) {
    if (g.c() >= p.rows() || p.im2col() == Im2col.EXPLICIT) {
      return 1;
    }
    int fit = Math.max(1, p.rows() / g.c());
    return Math.min(fit, Math.min(p.tilesFor(g.c(), g.fx()), g.fy() * g.fx()));
  }

  /** Times one tile with the configured im2col method. */
  public Timing time(GemmTile g) {
    return time(g, p.im2col());
  }

  public Timing time(GemmTile g, Im2col method) {
    if (g.depthwise()) {
      // One channel at a time: its FY*FX taps are decomposed 1x1 filters of one input channel,
      // side by side on the rows (the input duplicated per tap), one column busy.
      GemmTile one = new GemmTile(1, 1, g.fy(), g.fx(), g.stride(), g.positions(),
          g.inputPositions(), g.batch(), false);
      Timing t = ZERO;
      Timing each = conv(one, method, Math.min(p.rows(), g.fy() * g.fx()));
      for (int ch = 0; ch < g.k(); ch++) {
        t = t.plus(each);
      }
      return t;
    }
    int n = method == Im2col.EXPLICIT ? 1 : tiles(g);
    Timing whole = conv(g, method, n);
    if (method == Im2col.EXPLICIT || whole.workspaceBytes() <= budget()) {
      return whole;
    }
    // The input does not fit the SRAM arrays: tiles of output positions (with their share of the
    // input window) that do, one after the other.
    long pieces = ceilDiv(whole.workspaceBytes(), budget());
    if (pieces > g.positions()) {
      throw new IllegalArgumentException("sram: " + p.sramBytes() + " bytes cannot hold one "
          + "output position of a " + g.c() + "-channel input with " + n + " tiles");
    }
    GemmTile piece = new GemmTile(g.k(), g.c(), g.fy(), g.fx(), g.stride(),
        ceilDiv(g.positions(), pieces), ceilDiv(g.inputPositions(), pieces), g.batch(), false);
    Timing one = conv(piece, method, n);
    Timing t = ZERO;
    for (long i = 0; i < pieces; i++) {
      t = t.plus(one);
    }
    return t;
  }

  /** On-chip bytes left for im2col workspace beside a double-buffered weight tile. */
  long budget() {
    return p.sramBytes() - 2L * p.rows() * p.cols();
  }

  private Timing conv(GemmTile g, Im2col method, int n) {
    int taps = g.fy() * g.fx();
    long rowBlocks;
    if (method == Im2col.EXPLICIT) {
      // The lowered matrix's reduction C*FY*FX is one contiguous dimension.
      rowBlocks = ceilDiv((long) g.c() * taps, p.rows());
    } else if (n > 1) {
      rowBlocks = ceilDiv(taps, n);
    } else {
      rowBlocks = ceilDiv(g.c(), p.rows()) * taps;
    }
    long kBlocks = ceilDiv(g.k(), p.cols());
    long t = g.streamed();
    long word = p.word();
    long batch = g.batch();
    // Per SRAM array and fold: the words the stream reads, and the words written for the next
    // row block (written once per row block, whatever the K blocks).
    long reads;
    long writesPerRowBlock;
    long workspace;
    switch (method) {
      case IMPLICIT -> {
        // HWC: the DMA's address generation gathers the strided positions a decomposed filter
        // touches, one word line holding one position across the arrays' channels, so reads
        // and fill both shrink with the GEMM when the stride grows.
        reads = ceilDiv(t, word);
        writesPerRowBlock = ceilDiv(t, word);
        workspace = (long) g.c() * n * g.inputPositions() * batch;
      }
      case CHANNEL_LAST -> {
        // CHW words hold consecutive positions of one channel: a strided read uses one slot in
        // `stride`, and the fill of a decomposed filter moves the whole window its strided
        // positions span (every row and column, stride^2 positions per output), so the fill
        // does not shrink with the GEMM and stops hiding behind it at larger strides.
        reads = Math.min(t, ceilDiv(t * g.stride(), word));
        writesPerRowBlock = ceilDiv(t * g.stride() * g.stride(), word);
        workspace = (long) g.c() * n * g.inputPositions() * batch;
      }
      case EXPLICIT -> {
        reads = ceilDiv(t, word);
        writesPerRowBlock = ceilDiv(t, word);
        workspace = t * g.c() * taps;
      }
      default -> throw new IllegalStateException(method.name());
    }
    long folds = rowBlocks * kBlocks;
    long fold = foldCycles(t);
    long stall = 0;
    long totalReads = 0;
    long totalWrites = 0;
    for (long rb = 0; rb < rowBlocks; rb++) {
      for (long kb = 0; kb < kBlocks; kb++) {
        long writes = kb == 0 ? writesPerRowBlock : 0;
        long port = reads + writes;
        stall += Math.max(0, port - fold);
        totalReads += reads;
        totalWrites += writes;
      }
    }
    long compute = folds * fold + stall;
    long offChip = 0;
    long offChipCycles = 0;
    if (method == Im2col.EXPLICIT) {
      // The lowered matrix is built off-chip and brought in by DMA, double-buffered behind the
      // folds; when it does not fit the SRAM it is streamed through it instead of held.
      offChip = workspace;
      offChipCycles = (long) Math.ceil(offChip / offChipBytesPerCycle);
      workspace = Math.min(workspace, budget());
    }
    long cycles = Math.max(compute, offChipCycles);
    return new Timing(cycles, folds, folds * (t + p.rows() + p.cols() - 2),
        folds * p.rows(), stall, totalReads, totalWrites, workspace, offChip, offChipCycles,
        g.macs(), n);
  }

  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
