package io.kiln.plan.tiling;

import com.google.ortools.sat.CpSolver;
import com.google.ortools.sat.CpSolverStatus;
import io.kiln.KilnException;
import java.util.Arrays;

/**
 * Tiles with Google OR-Tools' CP-SAT, a constraint solver maintained for problems like this one,
 * on the exact model of {@link CpSatModel}. It reaches the exhaustive solver's objective value:
 * only an {@code OPTIMAL} answer is taken, and each one is re-evaluated with {@link Tiling#of}, so a
 * model that drifted from {@link Footprint} fails loudly instead of tiling wrongly.
 *
 * <p>The search is reproducible: one worker (CP-SAT's default portfolio races threads), a fixed
 * seed, and a limit in CP-SAT's deterministic time rather than wall time, so that where it ends
 * does not depend on the machine's load. The limit is a safety net: the slowest problem measured
 * (BENCHMARKS.md) took about 50 ms, and a deterministic second is typically longer than a wall
 * second. Reaching it is reported as an error, never taken as an answer.
 */
public final class CpSatSolver implements TilingSolver {
  private static final int SEED = 1;
  private static final double DETERMINISTIC_LIMIT = 10.0;

  /** Loads the native library now, so that a machine without it fails before any planning. */
  public CpSatSolver() {
    OrToolsNatives.require();
  }

  @Override
  public TilingResult solve(TileProblem p) {
    int[][] domains = p.allowedDomains();
    var settled = Untiled.withoutSearch(p, domains);
    if (settled.isPresent()) {
      return settled.get();
    }
    for (Dim d : Dim.values()) {
      domains[d.ordinal()] = fitting(p, domains, d);
      if (domains[d.ordinal()].length == 0) {
        return Infeasibility.explain(p);
      }
    }
    CpSatModel m = new CpSatModel(p, domains);
    CpSolver solver = new CpSolver();
    // Presolve probing, repeated presolve, SAT inprocessing and the LP relaxation each cost more
    // than they save on a model this small (measured on the MobileNet layers: about 4× faster
    // without them); none changes what is optimal, only how the proof is found.
    solver.getParameters()
        .setNumWorkers(1)
        .setRandomSeed(SEED)
        .setMaxDeterministicTime(DETERMINISTIC_LIMIT)
        .setCpModelProbingLevel(0)
        .setMaxPresolveIterations(1)
        .setUseSatInprocessing(false)
        .setLinearizationLevel(0);
    CpSolverStatus status = solver.solve(m.model);
    switch (status) {
      case OPTIMAL -> {
        // Handled below.
      }
      case INFEASIBLE -> {
        return Infeasibility.explain(p);
      }
      case FEASIBLE, UNKNOWN -> throw new KilnException("CP-SAT did not prove an optimal tiling of " + p.layer()
          + " within its limit of " + DETERMINISTIC_LIMIT + " deterministic seconds; use --solver bnb");
      default -> throw new IllegalStateException("CP-SAT ended with status " + status + " on " + p.layer()
          + (status == CpSolverStatus.MODEL_INVALID ? ": " + m.model.validate() : ""));
    }
    Tiling t = Tiling.of(p, m.tileOf(solver::value));
    long value = solver.value(m.objective);
    if (!t.footprint().fits(p.memories()) || t.objective() != value) {
      throw new IllegalStateException("CP-SAT model disagrees with the footprint on " + p.layer() + ": tile " + t
          + ", model objective " + value);
    }
    return new TilingResult.Solved(t);
  }

  /**
   * The sizes along {@code d} that fit with every other dimension at its smallest allowed size
   * (the bound {@link BranchAndBoundSolver} prunes with, at the root). Dropping the others keeps
   * every feasible tile and gives CP-SAT tables of sizes that can be used.
   */
  private static int[] fitting(TileProblem p, int[][] domains, Dim d) {
    LayerShape l = p.layer();
    int i = d.ordinal();
    return Arrays.stream(domains[i]).filter(v -> {
      int[] lo = {domains[0][0], domains[1][0], domains[2][0], domains[3][0]};
      int[] hi = {l.k(), l.c(), l.oy(), l.ox()};
      lo[i] = v;
      hi[i] = v;
      return Footprint.lowerBound(p, lo, hi).fits(p.memories());
    }).toArray();
  }
}
