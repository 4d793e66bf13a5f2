package io.kiln.codegen;

import io.kiln.ir.Graph;
import io.kiln.plan.memory.GreedyPlanner;
import io.kiln.plan.memory.Lifetime;
import io.kiln.plan.memory.Lifetimes;
import io.kiln.plan.memory.MemoryPlan;
import io.kiln.plan.memory.MemoryPlanner;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Adapts the static memory planner ({@code io.kiln.plan.memory}) to code generation: it plans
 * only the values the generated code keeps in the arena (graph inputs and directly written
 * outputs stay in the caller's buffers), so a reshape whose input is in the arena aliases it.
 */
final class PlannedArena {
  private PlannedArena() {}

  /** Planner over lifetimes from the graph's schedule, with {@link GreedyPlanner}. */
  static final ArenaLayout.Planner GREEDY = (graph, values) -> plan(graph, values,
      new GreedyPlanner());

  static ArenaLayout plan(Graph graph, List<Integer> values, MemoryPlanner planner) {
    Set<Integer> wanted = new HashSet<>(values);
    List<Lifetime> lifetimes = new ArrayList<>();
    for (Lifetime l : Lifetimes.of(graph)) {
      if (!wanted.contains(l.id())) {
        continue;
      }
      // An alias of a value in a caller's buffer cannot share it: it gets its own storage.
      OptionalInt alias = l.aliasOf().isPresent() && wanted.contains(l.aliasOf().getAsInt())
          ? l.aliasOf() : OptionalInt.empty();
      lifetimes.add(new Lifetime(l.id(), l.name(), l.bytes(), l.firstStep(), l.lastStep(),
          alias));
    }
    MemoryPlan plan = planner.plan(lifetimes, ArenaLayout.ALIGNMENT);
    return new ArenaLayout() {
      @Override
      public long offset(int valueId) {
        return plan.offset(valueId);
      }

      @Override
      public long arenaBytes() {
        return plan.arenaBytes();
      }
    };
  }
}
