package io.kiln.plan.tiling;

import java.util.Optional;

/**
 * The rule every solver applies first: a layer whose whole loop nest fits is not tiled, whatever
 * the heuristics would prefer, because one tile moves every byte exactly once.
 */
final class Untiled {
  private Untiled() {}

  static Optional<Tiling> ifFits(TileProblem p) {
    int[] full = new int[4];
    for (Dim d : Dim.values()) {
      int[] allowed = p.allowedSizes(d);
      int size = p.layer().size(d);
      if (allowed.length == 0 || allowed[allowed.length - 1] != size) {
        return Optional.empty();
      }
      full[d.ordinal()] = size;
    }
    return Footprint.of(p, full).fits(p.memories()) ? Optional.of(Tiling.of(p, full)) : Optional.empty();
  }
}
