package io.kiln.report;

import io.kiln.codegen.CompileResult;
import io.kiln.codegen.PlannedArena;
import io.kiln.ir.Graph;
import io.kiln.plan.memory.Lifetime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The lifetimes of exactly the buffers a CPU compile placed in its arena, so that the report's
 * lower bound and baseline are computed over the same buffers the code generator planned.
 *
 * <p>Graph inputs and the outputs a kernel writes straight into the caller's buffer are not in
 * the arena (their layer rows have no arena offset), so they are left out here too; counting them
 * would make the lower bound exceed what the planner was asked to place. The lifetimes themselves
 * come from the code generator ({@link PlannedArena#lifetimes}), so both see one problem.
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
    return PlannedArena.lifetimes(graph, inArena);
  }
}
