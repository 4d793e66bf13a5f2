package io.kiln.sim;

import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.schedule.ArrayWork;
import io.kiln.target.OpPattern;
import java.util.List;

/** The compute time of one job of an accelerator call on its unit's array ({@link ArrayWork}). */
public final class UnitTiming {
  private UnitTiming() {}

  /** The pattern a call runs with: the first the unit has for the layer's operator, as the planner poses it. */
  public static OpPattern pattern(Step.AcceleratorCall call) {
    List<OpPattern> ps = call.unit().patterns(call.geometry().op());
    if (ps.isEmpty()) {
      throw new IllegalStateException(call.unit().name() + " has no pattern for " + call.geometry().op());
    }
    return ps.get(0);
  }

  public static ArrayWork.Work work(Step.AcceleratorCall call, TileJob job) {
    return ArrayWork.work(call.unit(), pattern(call), call.geometry(), job.k().length(), job.c().length(),
        job.y().length(), job.x().length());
  }

  /** Cycles the unit computes job {@code job} of {@code call} (the host's per-job overhead apart). */
  public static long cycles(Step.AcceleratorCall call, TileJob job) {
    return ArrayWork.cycles(call.unit(), work(call, job), job.lastC(), call.fused().size());
  }
}
