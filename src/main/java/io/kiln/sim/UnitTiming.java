package io.kiln.sim;

import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.target.Accelerator;
import io.kiln.target.ArrayTiming;
import io.kiln.target.LoopDim;
import io.kiln.target.OpPattern;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The compute time of one job on its unit's array, from the description alone: the pattern's
 * unroll splits the tile's loops into blocks of outputs the array produces at once and the
 * reduction steps of each block; the accelerator's {@link ArrayTiming} prices them. No constant
 * belongs to a model or a layer.
 */
public final class UnitTiming {
  private static final Set<LoopDim> OUTPUT_LOOPS = EnumSet.of(LoopDim.K, LoopDim.OY, LoopDim.OX);

  private UnitTiming() {}

  /** How a job's work divides on the array. */
  public record Work(long calls, long outputBlocks, long reductionSteps, long rowLoads, long outputs, long macs) {
    public long steps() {
      return outputBlocks * reductionSteps;
    }
  }

  /** The pattern a call runs with: the first the unit has for the layer's operator, as the planner poses it. */
  static OpPattern pattern(Step.AcceleratorCall call) {
    List<OpPattern> ps = call.unit().patterns(call.geometry().op());
    if (ps.isEmpty()) {
      throw new IllegalStateException(call.unit().name() + " has no pattern for " + call.geometry().op());
    }
    return ps.get(0);
  }

  public static Work work(Step.AcceleratorCall call, TileJob job) {
    LayerShape l = call.geometry().shape();
    OpPattern pattern = pattern(call);
    boolean emulated = l.depthwise()
        && pattern.depthwise().orElse(null) == Accelerator.DepthwiseSupport.EMULATED;
    long channels = job.k().length();
    long[] size = new long[LoopDim.values().length];
    size[LoopDim.K.ordinal()] = emulated ? 1 : channels;
    size[LoopDim.C.ordinal()] = l.depthwise() ? (emulated ? 1 : channels) : job.c().length();
    size[LoopDim.OY.ordinal()] = job.y().length();
    size[LoopDim.OX.ordinal()] = job.x().length();
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
    long outputs = channels * job.y().length() * job.x().length();
    long macs = call.geometry().hasWeights()
        ? channels * (l.depthwise() ? 1 : job.c().length()) * job.y().length() * job.x().length() * l.fy() * l.fx()
        : 0;
    return new Work(emulated ? channels : 1, blocks, reduction, rowLoads, outputs, macs);
  }

  /** Cycles the unit computes job {@code job} of {@code call} (the host's per-job overhead apart). */
  public static long cycles(Step.AcceleratorCall call, TileJob job) {
    Accelerator acc = call.unit();
    ArrayTiming t = acc.timing();
    Work w = work(call, job);
    double perCall = switch (t.model()) {
      case ARRAY_STEPS -> w.steps() * acc.cyclesPerArrayStep();
      case OUTPUT_BLOCKS -> w.outputBlocks()
          * (t.perReduction() * w.reductionSteps() + t.perRowLoad() * w.rowLoads() + t.perBlock());
    };
    long cycles = w.calls() * (long) Math.ceil(perCall);
    if (job.lastC()) {
      // The output stage, then one pass of the array's outputs per fused stage.
      cycles += (long) Math.ceil(t.perOutputGroup() * ceilDiv(w.outputs(), t.outputGroup()));
      cycles += (long) call.fused().size() * w.outputBlocks();
    }
    return cycles;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
