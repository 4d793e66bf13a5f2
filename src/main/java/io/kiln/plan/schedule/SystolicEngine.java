package io.kiln.plan.schedule;

import io.kiln.target.Accelerator;
import io.kiln.target.DmaEngine;
import io.kiln.target.HardwareDescription;
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
 *
 * <p>It is the systolic unit's cost model, as {@link ArrayWork} is the PE arrays': the tiler
 * ({@link SystolicTiler}) ranks tiles by it and the simulator ({@code io.kiln.sim.systolic}) times
 * every job by it, so the two agree, and the simulator's cycle-stepped array is its reference.
 */
public final class SystolicEngine {
  private final SystolicParameters p;
  private final double offChipBytesPerCycle;

  /** An engine with {@code offChipBytesPerCycle} of off-chip bandwidth for spilled im2col matrices. */
  public SystolicEngine(SystolicParameters p, double offChipBytesPerCycle) {
    this.p = p;
    this.offChipBytesPerCycle = offChipBytesPerCycle;
  }

  /**
   * The engine of systolic unit {@code unit} of {@code hw}: its parameters from the description,
   * the off-chip bandwidth of the fastest DMA engine into or out of its SRAM.
   */
  public static SystolicEngine of(HardwareDescription hw, Accelerator unit) {
    double offChip = hw.dmas().stream().filter(d -> d.to().equals(unit.l1()) || d.from().equals(unit.l1()))
        .mapToDouble(DmaEngine::bandwidthBytesPerCycle).max().orElse(1);
    return new SystolicEngine(SystolicParameters.of(hw, unit), offChip);
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
    return tiles(g, p.im2col());
  }

  /** The same for im2col method {@code method} (always 1 for explicit). */
  public int tiles(GemmTile g, Im2col method) {
    if (g.c() >= p.rows() || method == Im2col.EXPLICIT) {
      return 1;
    }
    int fit = Math.max(1, p.rows() / g.c());
    return Math.min(fit, Math.min(p.tilesFor(g.c(), g.fx()), g.fy() * g.fx()));
  }

  /** Times one tile with the configured im2col method. */
  public Timing time(GemmTile g) {
    return time(g, p.im2col());
  }

  /**
   * Times tile {@code g} exactly as given: the planner's tiler ({@code io.kiln.plan.schedule.SystolicTiler})
   * chose its output positions and channels so that its workspace fits the SRAM, and the engine
   * does not cut it again. With a batch of images whose workspaces together exceed what the SRAM
   * holds beside a double-buffered weight tile, the images stream in groups that fit, each group
   * reloading the weights; one image's workspace larger than the whole SRAM is the caller's error
   * (an explicit matrix excepted: it streams from off-chip).
   */
  public Timing time(GemmTile g, Im2col method) {
    long perImage = workspaceBytes(new GemmTile(g.k(), g.c(), g.fy(), g.fx(), g.stride(), g.positions(),
        g.inputPositions(), 1, g.depthwise()), method);
    if (method != Im2col.EXPLICIT && perImage > p.sramBytes()) {
      throw new IllegalArgumentException("sram: " + p.sramBytes() + " bytes cannot hold the " + perImage
          + "-byte workspace of one image of a " + g.k() + "x" + g.c() + " " + g.fy() + "x" + g.fx()
          + " tile of " + g.positions() + " positions: tile it first");
    }
    int perGroup = method == Im2col.EXPLICIT ? g.batch()
        : (int) Math.max(1, Math.min(g.batch(), budget() / Math.max(1, perImage)));
    if (perGroup >= g.batch()) {
      return once(g, method);
    }
    Timing t = ZERO;
    Timing full = once(withBatch(g, perGroup), method);
    for (int i = 0; i < g.batch() / perGroup; i++) {
      t = t.plus(full);
    }
    int rest = g.batch() % perGroup;
    return rest == 0 ? t : t.plus(once(withBatch(g, rest), method));
  }

  /**
   * The on-chip im2col workspace of tile {@code g}: for the implicit methods its input window of
   * every image, once per decomposed-filter tile side by side on the rows (the input duplicated
   * in SRAM for multi-tile), or one channel's window per tap for depthwise; for explicit the
   * lowered matrix, T x C·FY·FX, of every image.
   */
  public long workspaceBytes(GemmTile g, Im2col method) {
    int taps = g.fy() * g.fx();
    if (g.depthwise()) {
      return method == Im2col.EXPLICIT ? g.streamed() * taps
          : (long) Math.min(p.rows(), taps) * g.inputPositions() * g.batch();
    }
    return method == Im2col.EXPLICIT ? g.streamed() * g.c() * taps
        : (long) g.c() * tiles(g, method) * g.inputPositions() * g.batch();
  }

  private Timing once(GemmTile g, Im2col method) {
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
    return conv(g, method, tiles(g, method));
  }

  private static GemmTile withBatch(GemmTile g, int batch) {
    return new GemmTile(g.k(), g.c(), g.fy(), g.fx(), g.stride(), g.positions(), g.inputPositions(), batch,
        g.depthwise());
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
