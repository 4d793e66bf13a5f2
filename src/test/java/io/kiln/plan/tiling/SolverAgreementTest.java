package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast solver against the exhaustive baseline on small layers, every answer checked. */
class SolverAgreementTest {

  private final TilingSolver exhaustive = new ExhaustiveSolver();
  private final TilingSolver fast = new BranchAndBoundSolver();

  @Test
  void sameObjectiveOnEverySmallCase() {
    Random r = new Random(20240501L);
    int solved = 0;
    int infeasible = 0;
    int tiled = 0;
    for (int i = 0; i < 2000; i++) {
      TileProblem p = RandomProblems.problem(r, 12, 10);
      TilingResult a = exhaustive.solve(p);
      TilingResult b = fast.solve(p);
      String where = "case " + i + ": " + p;
      if (a instanceof TilingResult.Solved sa) {
        assertThat(b).as(where).isInstanceOf(TilingResult.Solved.class);
        Tiling tb = ((TilingResult.Solved) b).tiling();
        assertThat(tb.objective()).as(where).isEqualTo(sa.tiling().objective());
        assertThat(TilingChecker.check(p, sa.tiling())).as(where).isEmpty();
        assertThat(TilingChecker.check(p, tb)).as(where).isEmpty();
        solved++;
        if (tb.tileCount(p.layer().depthwise()) > 1) {
          tiled++;
        }
      } else {
        assertThat(b).as(where).isInstanceOf(TilingResult.Infeasible.class);
        assertThat(((TilingResult.Infeasible) b).reason()).as(where).isEqualTo(((TilingResult.Infeasible) a).reason());
        infeasible++;
      }
    }
    System.out.printf("exhaustive vs branch and bound: %d solved (%d tiled), %d infeasible, all objectives equal%n",
        solved, tiled, infeasible);
    // The generator must exercise all three outcomes, or the comparison proves little.
    assertThat(tiled).isGreaterThan(500);
    assertThat(solved - tiled).isGreaterThan(50);
    assertThat(infeasible).isGreaterThan(50);
  }
}
