package io.kiln.plan.tiling;

/**
 * The baseline: evaluates every allowed combination of tile sizes and keeps the first best one.
 * Only tractable for small layers; it exists so that faster solvers can be checked against it.
 */
public final class ExhaustiveSolver implements TilingSolver {

  @Override
  public TilingResult solve(TileProblem p) {
    int[][] domains = p.allowedDomains();
    var settled = Untiled.withoutSearch(p, domains);
    if (settled.isPresent()) {
      return settled.get();
    }
    int[] best = null;
    long bestValue = Long.MIN_VALUE;
    int[] t = new int[4];
    for (int k : domains[0]) {
      for (int c : domains[1]) {
        for (int oy : domains[2]) {
          for (int ox : domains[3]) {
            t[0] = k;
            t[1] = c;
            t[2] = oy;
            t[3] = ox;
            Footprint f = Footprint.of(p, t);
            if (!f.fits(p.memories())) {
              continue;
            }
            long v = ObjectiveValue.of(p, t, f);
            if (v > bestValue) {
              bestValue = v;
              best = t.clone();
            }
          }
        }
      }
    }
    return best == null ? Infeasibility.explain(p) : new TilingResult.Solved(Tiling.of(p, best));
  }
}
