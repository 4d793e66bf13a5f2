package io.kiln.plan.lower;

import io.kiln.ir.Graph;
import java.util.List;

/**
 * A dispatched graph rewritten into what its units compute: the same nodes in the same order
 * with the same value ids (operator attributes, constants and value types changed in place), so
 * the dispatch's node indices stay valid, and per rewritten node what changed.
 *
 * @param graph the lowered graph; the input graph itself when nothing changed
 * @param rewrites one entry per rewritten node, in node order
 */
public record Lowered(Graph graph, List<Rewrite> rewrites) {

  public Lowered {
    rewrites = List.copyOf(rewrites);
  }

  /**
   * What lowering changed at one node.
   *
   * @param node the node's index in the graph
   * @param unit the unit that runs it ({@code digital})
   * @param changes human-readable, one per change ({@code "output stage: shift(floor, ...)"})
   * @param approximate whether a change alters the numbers (ternarized weights, a ratio rounded
   *     to a shift, narrowed inputs or outputs); exact rewrites compute what the int8 graph does
   *     up to the rounding of the shift
   */
  public record Rewrite(int node, String unit, List<String> changes, boolean approximate) {
    public Rewrite {
      changes = List.copyOf(changes);
    }
  }

  /** Whether the lowering changed nothing. */
  public boolean unchanged() {
    return rewrites.isEmpty();
  }

  /** The rewrite of node {@code index}, if it was rewritten. */
  public java.util.Optional<Rewrite> rewrite(int index) {
    return rewrites.stream().filter(r -> r.node() == index).findFirst();
  }
}
