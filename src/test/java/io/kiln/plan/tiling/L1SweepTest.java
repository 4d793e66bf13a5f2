package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An L1-budget sweep of a few representative conv layers on a DIANA-like digital accelerator,
 * halving L1 from 256 kB until no tile fits, with and without the utilization heuristics: every
 * tiling checks, both objectives agree on feasibility, and every layer reaches a budget no tile
 * fits. (The cycles of such a sweep, through the layer planner's schedule and cost model, are in
 * BENCHMARKS.md from bench/plan.sh.)
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
    for (var e : layers().entrySet()) {
      LayerShape l = e.getValue();
      boolean failed = false;
      for (long l1 = 256 * 1024; l1 >= 64 && !failed; l1 /= 2) {
        TileProblem with = DianaLike.problem(l, l1, DianaLike.heuristics());
        TileProblem without = DianaLike.problem(l, l1, DianaLike.heuristics().withoutHeuristics());
        TilingResult a = solver.solve(with);
        TilingResult b = solver.solve(without);
        if (a instanceof TilingResult.Infeasible) {
          assertThat(b).isInstanceOf(TilingResult.Infeasible.class);
          failed = true;
          continue;
        }
        Tiling ta = a.orElseThrow();
        Tiling tb = b.orElseThrow();
        assertThat(TilingChecker.check(with, ta)).isEmpty();
        assertThat(TilingChecker.check(without, tb)).isEmpty();
      }
      assertThat(failed).as(e.getKey() + " reaches an L1 too small for any tile").isTrue();
    }
  }
}
