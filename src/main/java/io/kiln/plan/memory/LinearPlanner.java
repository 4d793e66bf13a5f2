package io.kiln.plan.memory;

import java.util.List;

/**
 * The baseline planner: every buffer (alias group) gets its own region, back to back in list
 * order, as if nothing were ever freed. Obviously correct, never small.
 */
public final class LinearPlanner implements MemoryPlanner {

  @Override
  public MemoryPlan plan(List<Lifetime> lifetimes, int alignment) {
    Buffers.checkAlignment(alignment);
    Buffers bufs = Buffers.of(lifetimes);
    return bufs.toPlan(GreedyPlanner.linearOffsets(bufs, alignment));
  }
}
