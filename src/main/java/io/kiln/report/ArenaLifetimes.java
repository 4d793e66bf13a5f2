package io.kiln.report;

import io.kiln.codegen.CompileResult;
import io.kiln.ir.Graph;
import io.kiln.plan.memory.Lifetime;
import io.kiln.plan.memory.Lifetimes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The lifetimes of exactly the buffers a CPU compile placed in its arena, so that the report's
 * lower bound and baseline are computed over the same buffers the code generator planned.
 *
 * <p>Graph inputs and the outputs a kernel writes straight into the caller's buffer are not in
 * the arena (their layer rows have no arena offset), so they are left out here too; counting them
 * would make the lower bound exceed what the planner was asked to place. A reshape that aliases a
 * value outside the arena cannot share its storage and becomes a buffer of its own, as in the
 * code generator. {@code ArenaLifetimesTest} checks that planning these lifetimes with the
 * code generator's planner reproduces its offsets and arena size, so the two cannot drift apart
 * silently.
 */
public final class ArenaLifetimes {
  private ArenaLifetimes() {}

  public static List<Lifetime> of(Graph graph, CompileResult result) {
    Set<Integer> inArena = new HashSet<>();
    for (CompileResult.Layer l : result.layers()) {
      if (l.arenaOffset() >= 0) {
        inArena.add(graph.nodes().get(l.index()).output());
      }
    }
    List<Lifetime> lifetimes = new ArrayList<>();
    for (Lifetime l : Lifetimes.of(graph)) {
      if (!inArena.contains(l.id())) {
        continue;
      }
      OptionalInt alias = l.aliasOf().isPresent() && inArena.contains(l.aliasOf().getAsInt())
          ? l.aliasOf() : OptionalInt.empty();
      lifetimes.add(new Lifetime(l.id(), l.name(), l.bytes(), l.firstStep(), l.lastStep(),
          alias));
    }
    return lifetimes;
  }
}
