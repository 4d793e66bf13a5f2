package io.kiln.plan.tiling;

import java.util.List;

/**
 * Everything a tiling solver needs about one layer on one unit, as plain data: the loop nest,
 * element sizes, memory budgets, hard constraints from the hardware and the objective. The later
 * dispatch code builds it from the hardware description and the IR node.
 */
public record TileProblem(
    LayerShape layer, ElementSizes sizes, Memories memories, List<TileConstraint> constraints, Objective objective) {

  public TileProblem {
    constraints = List.copyOf(constraints);
  }

  /** {@link #allowedSizes} of every dimension, by {@link Dim#ordinal()}. */
  public int[][] allowedDomains() {
    int[][] domains = new int[4][];
    for (Dim d : Dim.values()) {
      domains[d.ordinal()] = allowedSizes(d);
    }
    return domains;
  }

  /** The sorted tile sizes every constraint on {@code d} allows (for depthwise, C's rules bind K). */
  public int[] allowedSizes(Dim d) {
    int full = layer.size(d);
    if (layer.depthwise() && d == Dim.C) {
      // Each output channel reads its own input channel: the channel tile is K's, searched there.
      return new int[] {full};
    }
    return java.util.stream.IntStream.rangeClosed(1, full)
        .filter(t -> constraints.stream().allMatch(r -> !binds(r, d) || r.allows(t, full)))
        .toArray();
  }

  private boolean binds(TileConstraint r, Dim d) {
    return r.dim() == d || (layer.depthwise() && d == Dim.K && r.dim() == Dim.C);
  }
}
