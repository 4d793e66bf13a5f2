package io.kiln.plan.schedule;

import io.kiln.plan.tiling.LayerShape;
import io.kiln.target.Accelerator;
import io.kiln.target.ArrayTiming;
import io.kiln.target.LoopDim;
import io.kiln.target.OpPattern;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The compute time of one tile on an accelerator's array, from the description alone: the
 * pattern's unroll splits the tile's loops into blocks of outputs the array produces at once and
 * the reduction steps of each block; the accelerator's {@link ArrayTiming} prices them. The
 * analytic cost model and the simulator both time a tile's compute with it (they differ in what
 * happens around it: transfers, waits, the host); no constant belongs to a model or a layer.
 */
public final class ArrayWork {
  private static final Set<LoopDim> OUTPUT_LOOPS = EnumSet.of(LoopDim.K, LoopDim.OY, LoopDim.OX);

  private ArrayWork() {}

  /** How a job's work divides on the array. */
  public record Work(long calls, long outputBlocks, long reductionSteps, long rowLoads, long outputs, long macs) {
    public long steps() {
      return outputBlocks * reductionSteps;
    }
  }

  /** How a tile of k × c × y × x (output channels, input channels, output rows, columns) divides. */
  public static Work work(Accelerator acc, OpPattern pattern, LayerShape l, boolean hasWeights, int kLen, int cLen,
      int yLen, int xLen) {
    boolean emulated = l.depthwise()
        && pattern.depthwise().orElse(null) == Accelerator.DepthwiseSupport.EMULATED;
    long channels = kLen;
    long[] size = new long[LoopDim.values().length];
    size[LoopDim.K.ordinal()] = emulated ? 1 : channels;
    size[LoopDim.C.ordinal()] = l.depthwise() ? (emulated ? 1 : channels) : cLen;
    size[LoopDim.OY.ordinal()] = yLen;
    size[LoopDim.OX.ordinal()] = xLen;
    size[LoopDim.FY.ordinal()] = l.fy();
    size[LoopDim.FX.ordinal()] = l.fx();
    boolean[] covered = new boolean[size.length];
    long blocks = 1;
    long reduction = 1;
    boolean fxUnrolled = false;
    for (OpPattern.Unroll u : pattern.unroll()) {
      long prod = 1;
      boolean output = true;
      for (LoopDim d : u.loops()) {
        if (covered[d.ordinal()]) {
          continue;
        }
        prod *= size[d.ordinal()];
        covered[d.ordinal()] = true;
        // A depthwise layer's channel loop is both K and C, and an output loop.
        boolean channel = d == LoopDim.K || d == LoopDim.C;
        if (l.depthwise() && channel) {
          covered[LoopDim.K.ordinal()] = true;
          covered[LoopDim.C.ordinal()] = true;
        } else if (!OUTPUT_LOOPS.contains(d)) {
          output = false;
        }
        fxUnrolled |= d == LoopDim.FX;
      }
      long steps = ceilDiv(prod, Math.max(1, u.factor()));
      if (output) {
        blocks *= steps;
      } else {
        reduction *= steps;
      }
    }
    long rowLoads = 1;
    for (LoopDim d : LoopDim.values()) {
      if (covered[d.ordinal()] || (l.depthwise() && d == LoopDim.C)) {
        continue;
      }
      boolean output = OUTPUT_LOOPS.contains(d);
      if (output) {
        blocks *= size[d.ordinal()];
      } else {
        reduction *= size[d.ordinal()];
        if (d != LoopDim.FX) {
          rowLoads *= size[d.ordinal()];
        }
      }
    }
    if (fxUnrolled || rowLoads > reduction) {
      rowLoads = reduction;
    }
    long outputs = channels * yLen * xLen;
    long macs = hasWeights
        ? channels * (l.depthwise() ? 1 : cLen) * yLen * xLen * l.fy() * l.fx()
        : 0;
    return new Work(emulated ? channels : 1, blocks, reduction, rowLoads, outputs, macs);
  }

  /**
   * The work of a tile of the layer {@code geo}: {@link #work(Accelerator, OpPattern, LayerShape,
   * boolean, int, int, int, int)}, except that N:M weights on a unit that stores them sparse and
   * skips their zeros ({@code sparsity: skip_zeros}) reduce in {@code ceil(c·FY·FX / M)·N} steps
   * instead of {@code c·FY·FX} (the array takes one group's N values a step, each column selecting
   * its activation by the offset), when no reduction loop is unrolled on the array. The input rows
   * it loads stay as many (the activations arrive dense), and its MACs are the ones it executes:
   * the stored values times the outputs.
   */
  public static Work work(Accelerator acc, OpPattern pattern, LayerGeometry geo, int kLen, int cLen, int yLen,
      int xLen) {
    Work w = work(acc, pattern, geo.shape(), geo.hasWeights(), kLen, cLen, yLen, xLen);
    if (!skipsZeros(acc, pattern, geo)) {
      return w;
    }
    LayerShape l = geo.shape();
    long steps = ProblemBuilder.sparseFormat(acc, pattern, geo).orElseThrow().valuesPerRow(cLen * l.fy() * l.fx());
    return new Work(w.calls(), w.outputBlocks(), steps, w.rowLoads(), w.outputs(),
        (long) kLen * yLen * xLen * steps);
  }

  /** Whether the unit stores {@code geo}'s weights N:M and skips their zeros along an un-unrolled reduction. */
  static boolean skipsZeros(Accelerator acc, OpPattern pattern, LayerGeometry geo) {
    boolean reductionUnrolled = pattern.unroll().stream().flatMap(u -> u.loops().stream())
        .anyMatch(d -> d == LoopDim.C || d == LoopDim.FY || d == LoopDim.FX);
    return acc.sparsity().skipsZeros() && !reductionUnrolled
        && ProblemBuilder.sparseFormat(acc, pattern, geo).isPresent();
  }

  /**
   * Cycles the unit computes a tile whose work is {@code w} (its per-call overhead apart); the
   * last tile of a reduction also runs the output stage and {@code fusedStages} fused passes.
   */
  public static long cycles(Accelerator acc, Work w, boolean lastC, int fusedStages) {
    ArrayTiming t = acc.timing();
    double perCall = switch (t.model()) {
      case ARRAY_STEPS -> w.steps() * acc.cyclesPerArrayStep();
      case OUTPUT_BLOCKS -> w.outputBlocks()
          * (t.perReduction() * w.reductionSteps() + t.perRowLoad() * w.rowLoads() + t.perBlock());
    };
    long cycles = w.calls() * (long) Math.ceil(perCall);
    if (lastC) {
      // The output stage, then one pass of the array's outputs per fused stage.
      cycles += (long) Math.ceil(t.perOutputGroup() * ceilDiv(w.outputs(), t.outputGroup()));
      cycles += (long) fusedStages * w.outputBlocks();
    }
    return cycles;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /**
   * Cycles of one tile's call(s), fused output stages included. A unit whose description times
   * its array beyond array steps ({@link io.kiln.target.ArrayTiming}) is estimated with the same
   * {@link ArrayWork} the simulator uses.
   */
  static long tileCycles(Accelerator acc, OpPattern pattern, LayerGeometry geo, TileOrder.Tile tile, int fused) {
    LayerShape l = geo.shape();
    ArrayWork.Work w = ArrayWork.work(acc, pattern, geo, tile.k().length(), tile.c().length(),
        tile.y().length(), tile.x().length());
    if (acc.timing().equals(io.kiln.target.ArrayTiming.STEPS)) {
      long fusedSteps = tile.lastC(l) ? fused * outputSteps(pattern, tile) : 0;
      if (skipsZeros(acc, pattern, geo)) {
        // Skipped N:M zeros: the array steps of the shortened reduction.
        return w.calls() * ((long) Math.ceil(w.steps() * acc.cyclesPerArrayStep()) + acc.perCallOverheadCycles())
            + fusedSteps;
      }
      return computeCycles(acc, pattern, l, tile) + fusedSteps;
    }
    return ArrayWork.cycles(acc, w, tile.lastC(l), fused) + w.calls() * acc.perCallOverheadCycles();
  }

  /**
   * Cycles of one tile's call(s): array steps times the cycles of one step, plus per-call
   * overhead. Each unroll entry divides the product of its loops by its factor, rounded up; loops
   * no entry unrolls run one at a time. A depthwise layer's channel loop is both K and C (counted
   * once); emulated depthwise runs one channel per call.
   */
  static long computeCycles(Accelerator acc, OpPattern pattern, LayerShape l, TileOrder.Tile tile) {
    boolean emulated = l.depthwise() && pattern.depthwise().orElse(null) == Accelerator.DepthwiseSupport.EMULATED;
    long channels = tile.k().length();
    long calls = emulated ? channels : 1;
    long[] size = new long[io.kiln.target.LoopDim.values().length];
    size[io.kiln.target.LoopDim.K.ordinal()] = emulated ? 1 : channels;
    size[io.kiln.target.LoopDim.C.ordinal()] = l.depthwise() ? (emulated ? 1 : channels) : tile.c().length();
    size[io.kiln.target.LoopDim.OY.ordinal()] = tile.y().length();
    size[io.kiln.target.LoopDim.OX.ordinal()] = tile.x().length();
    size[io.kiln.target.LoopDim.FY.ordinal()] = l.fy();
    size[io.kiln.target.LoopDim.FX.ordinal()] = l.fx();
    boolean[] covered = new boolean[size.length];
    long steps = 1;
    for (OpPattern.Unroll u : pattern.unroll()) {
      long prod = 1;
      for (io.kiln.target.LoopDim d : u.loops()) {
        if (!covered[d.ordinal()]) {
          prod *= size[d.ordinal()];
          covered[d.ordinal()] = true;
          if (l.depthwise() && (d == io.kiln.target.LoopDim.K || d == io.kiln.target.LoopDim.C)) {
            covered[io.kiln.target.LoopDim.K.ordinal()] = true;
            covered[io.kiln.target.LoopDim.C.ordinal()] = true;
          }
        }
      }
      steps *= ceilDiv(prod, Math.max(1, u.factor()));
    }
    for (io.kiln.target.LoopDim d : io.kiln.target.LoopDim.values()) {
      if (!covered[d.ordinal()]) {
        steps *= size[d.ordinal()];
        if (l.depthwise() && (d == io.kiln.target.LoopDim.K)) {
          covered[io.kiln.target.LoopDim.C.ordinal()] = true;
        }
      }
    }
    long perCall = (long) Math.ceil(steps * acc.cyclesPerArrayStep());
    return calls * (perCall + acc.perCallOverheadCycles());
  }

  /**
   * Output-stage passes of one tile: the array steps over the output loops alone. Each unroll
   * entry divides the product of its output loops (K, OY, OX) by its factor, rounded up; output
   * loops no entry unrolls pass one at a time; reduction loops (C, FY, FX) do not count, since
   * the output stage sees each output once.
   */
  static long outputSteps(OpPattern pattern, TileOrder.Tile tile) {
    long[] size = new long[io.kiln.target.LoopDim.values().length];
    size[io.kiln.target.LoopDim.K.ordinal()] = tile.k().length();
    size[io.kiln.target.LoopDim.OY.ordinal()] = tile.y().length();
    size[io.kiln.target.LoopDim.OX.ordinal()] = tile.x().length();
    boolean[] covered = new boolean[size.length];
    long steps = 1;
    for (OpPattern.Unroll u : pattern.unroll()) {
      long prod = 1;
      boolean any = false;
      for (io.kiln.target.LoopDim d : u.loops()) {
        if (size[d.ordinal()] > 0 && !covered[d.ordinal()]) {
          prod *= size[d.ordinal()];
          covered[d.ordinal()] = true;
          any = true;
        }
      }
      if (any) {
        steps *= ceilDiv(prod, Math.max(1, u.factor()));
      }
    }
    for (io.kiln.target.LoopDim d : io.kiln.target.LoopDim.values()) {
      if (size[d.ordinal()] > 0 && !covered[d.ordinal()]) {
        steps *= size[d.ordinal()];
      }
    }
    return steps;
  }
}
