package io.kiln.plan.tiling;

/**
 * Keeps the utilization heuristics from costing cycles: solves with and without them and returns
 * the tiling the cost model estimates faster. The heuristics are a guide for the search; with
 * weights tuned for one layer shape they can pick, at some budgets, tiles that reload weights
 * more often than plain largest-tile tiling, and the cost model is what arbitrates.
 */
public final class CostGuard {
  private CostGuard() {}

  /** The faster of {@code solver}'s answers with and without the heuristics (ties keep them). */
  public static TilingResult solve(TilingSolver solver, TileProblem p, CostParams cost) {
    TilingResult with = solver.solve(p);
    if (!(with instanceof TilingResult.Solved s) || p.objective().heuristics().isEmpty()) {
      return with;
    }
    TileProblem plain = new TileProblem(p.layer(), p.sizes(), p.memories(), p.constraints(),
        p.objective().withoutHeuristics());
    TilingResult without = solver.solve(plain);
    if (!(without instanceof TilingResult.Solved w)) {
      return with;
    }
    long a = CycleEstimate.of(p, s.tiling(), cost).totalCycles();
    long b = CycleEstimate.of(plain, w.tiling(), cost).totalCycles();
    // Re-evaluate the plain tiling under the caller's objective so the value reported is consistent.
    return b < a ? new TilingResult.Solved(Tiling.of(p, w.tiling().sizes())) : with;
  }
}
