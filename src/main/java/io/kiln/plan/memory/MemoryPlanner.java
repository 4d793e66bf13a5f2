package io.kiln.plan.memory;

import java.util.List;

/**
 * Places activation buffers in one static arena so that buffers live at the same time never share
 * bytes. Implementations differ only in how small the arena gets; {@link LinearPlanner} is the
 * trivial baseline the others are tested against, and {@link PlanChecker} checks any of them.
 */
public interface MemoryPlanner {

  /**
   * Plans {@code lifetimes} (unique ids; {@code aliasOf} ids must be in the list, without cycles)
   * with every offset a multiple of {@code alignment} (at least 1).
   */
  MemoryPlan plan(List<Lifetime> lifetimes, int alignment);
}
