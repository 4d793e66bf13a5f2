package io.kiln.plan.memory;

import java.util.List;

/**
 * How good an arena is: the planned size next to the lower bound no plan can beat and the linear
 * baseline that reuses nothing.
 */
public record MemoryPlanReport(long arenaBytes, long lowerBound, long baselineBytes) {

  public static MemoryPlanReport of(List<Lifetime> lifetimes, int alignment, MemoryPlan plan) {
    return new MemoryPlanReport(plan.arenaBytes(), LowerBound.of(lifetimes, alignment),
        new LinearPlanner().plan(lifetimes, alignment).arenaBytes());
  }

  public boolean atLowerBound() {
    return arenaBytes == lowerBound;
  }

  @Override
  public String toString() {
    return "arena " + arenaBytes + " B (lower bound " + lowerBound + " B, linear "
        + baselineBytes + " B)";
  }
}
