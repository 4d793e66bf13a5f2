package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each fast solver against the exhaustive baseline on small layers, every answer checked. */
class SolverAgreementTest {

  private final TilingSolver exhaustive = new ExhaustiveSolver();

  @ParameterizedTest
  @EnumSource(value = SolverKind.class, names = {"BNB", "CPSAT"})
  void sameObjectiveOnEverySmallCase(SolverKind kind) {
    TilingSolver fast = kind.create();
    Random r = new Random(20240501L);
    int solved = 0;
    int infeasible = 0;
    int tiled = 0;
    long nanos = 0;
    for (int i = 0; i < 2000; i++) {
      TileProblem p = RandomProblems.problem(r, 12, 10);
      TilingResult a = exhaustive.solve(p);
      long start = System.nanoTime();
      TilingResult b = fast.solve(p);
      nanos += System.nanoTime() - start;
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
    System.out.printf("exhaustive vs %s: %d solved (%d tiled), %d infeasible, all objectives equal; %s took %.0f ms%n",
        kind.cliName(), solved, tiled, infeasible, kind.cliName(), nanos / 1e6);
    // The generator must exercise all three outcomes, or the comparison proves little.
    assertThat(tiled).isGreaterThan(500);
    assertThat(solved - tiled).isGreaterThan(50);
    assertThat(infeasible).isGreaterThan(50);
  }
}
