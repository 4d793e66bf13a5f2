package io.kiln.plan.tiling;

import java.util.Optional;

/**
 * What every solver decides before it searches: a layer whose whole loop nest fits is not tiled,
 * whatever the heuristics would prefer, because one tile moves every byte exactly once; and a
 * dimension no tile size is allowed on makes the problem infeasible.
 */
final class Untiled {
  private Untiled() {}

  /**
   * The answer without a search, if there is one; {@code domains} are the problem's
   * {@link TileProblem#allowedDomains()}.
   */
  static Optional<TilingResult> withoutSearch(TileProblem p, int[][] domains) {
    int[] full = new int[4];
    boolean wholeAllowed = true;
    for (Dim d : Dim.values()) {
      int[] allowed = domains[d.ordinal()];
      if (allowed.length == 0) {
        return Optional.of(Infeasibility.explain(p));
      }
      int size = p.layer().size(d);
      wholeAllowed &= allowed[allowed.length - 1] == size;
      full[d.ordinal()] = size;
    }
    return wholeAllowed && Footprint.of(p, full).fits(p.memories())
        ? Optional.of(new TilingResult.Solved(Tiling.of(p, full))) : Optional.empty();
  }
}
