package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The L1-budget sweep for BENCHMARKS.md: a few representative conv layers on a DIANA-like digital
 * accelerator, halving L1 from 256 kB until no tile fits, with and without the utilization
 * heuristics. Prints a table; asserts only that every tiling checks and that the sweep ends in an
 * infeasible budget. Cycles come from {@link CycleEstimate} with placeholder hardware numbers.
 */
class L1SweepTest {

  static Map<String, LayerShape> layers() {
    Map<String, LayerShape> m = new LinkedHashMap<>();
    m.put("conv3x3 s2 3->8 96x96", LayerShape.convSame(8, 3, 96, 96, 3, 3, 2));
    m.put("conv3x3 32->64 48x48", LayerShape.convSame(64, 32, 48, 48, 3, 3, 1));
    m.put("pw 64->128 24x24", LayerShape.convSame(128, 64, 24, 24, 1, 1, 1));
    m.put("dw3x3 128 24x24", LayerShape.depthwiseSame(128, 24, 24, 3, 3, 1));
    m.put("pw 256->256 6x6", LayerShape.convSame(256, 256, 6, 6, 1, 1, 1));
    return m;
  }

  @Test
  void sweep() {
    TilingSolver solver = new BranchAndBoundSolver();
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%-24s %8s | %-28s %10s | %-28s %10s | %6s | %10s%n", "layer", "L1",
        "tiles (heuristics)", "cycles", "tiles (memory only)", "cycles", "h/no-h", "guarded"));
    int worse = 0;
    for (var e : layers().entrySet()) {
      LayerShape l = e.getValue();
      boolean failed = false;
      for (long l1 = 256 * 1024; l1 >= 64 && !failed; l1 /= 2) {
        TileProblem with = DianaLike.problem(l, l1, DianaLike.heuristics());
        TileProblem without = DianaLike.problem(l, l1, DianaLike.heuristics().withoutHeuristics());
        TilingResult a = solver.solve(with);
        TilingResult b = solver.solve(without);
        if (a instanceof TilingResult.Infeasible inf) {
          assertThat(b).isInstanceOf(TilingResult.Infeasible.class);
          out.append(String.format(Locale.ROOT, "%-24s %8s | infeasible: %s%n", e.getKey(), kb(l1), inf.reason()));
          failed = true;
          continue;
        }
        Tiling ta = a.orElseThrow();
        Tiling tb = b.orElseThrow();
        assertThat(TilingChecker.check(with, ta)).isEmpty();
        assertThat(TilingChecker.check(without, tb)).isEmpty();
        CycleEstimate ca = CycleEstimate.of(with, ta, DianaLike.cost(l));
        CycleEstimate cb = CycleEstimate.of(without, tb, DianaLike.cost(l));
        if (ca.totalCycles() > cb.totalCycles()) {
          worse++;
        }
        Tiling guarded = CostGuard.solve(solver, with, DianaLike.cost(l)).orElseThrow();
        long cg = CycleEstimate.of(with, guarded, DianaLike.cost(l)).totalCycles();
        assertThat(TilingChecker.check(with, guarded)).isEmpty();
        assertThat(cg).isLessThanOrEqualTo(Math.min(ca.totalCycles(), cb.totalCycles()));
        out.append(String.format(Locale.ROOT, "%-24s %8s | %-28s %10d | %-28s %10d | %6.3f | %10d%n", e.getKey(), kb(l1),
            tiles(ta), ca.totalCycles(), tiles(tb), cb.totalCycles(), (double) ca.totalCycles() / cb.totalCycles(), cg));
      }
      assertThat(failed).as(e.getKey() + " reaches an L1 too small for any tile").isTrue();
    }
    out.append("budgets where the heuristics alone cost cycles: ").append(worse)
        .append(" (the guarded choice is never worse than either)\n");
    System.out.print(out);
  }

  private static String kb(long bytes) {
    return bytes >= 1024 ? bytes / 1024 + " kB" : bytes + " B";
  }

  private static String tiles(Tiling t) {
    return String.format(Locale.ROOT, "K%d C%d OY%d OX%d x%d", t.tileK(), t.tileC(), t.tileOY(), t.tileOX(),
        (long) t.tilesK() * t.tilesC() * t.tilesOY() * t.tilesOX());
  }
}
