package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast solver over realistic layer geometries (channels up to 512, images up to 128) and
 * budgets, with the independent checker run on every answer.
 */
class RandomTilingCheckTest {

  @Test
  void everySolutionPassesTheChecker() {
    Random r = new Random(77L);
    TilingSolver solver = new BranchAndBoundSolver();
    int solved = 0;
    int infeasible = 0;
    long start = System.nanoTime();
    for (int i = 0; i < 1500; i++) {
      TileProblem p = RandomProblems.problem(r, 512, 128);
      TilingResult result = solver.solve(p);
      String where = "case " + i + ": " + p;
      switch (result) {
        case TilingResult.Solved s -> {
          assertThat(TilingChecker.check(p, s.tiling())).as(where).isEmpty();
          solved++;
        }
        case TilingResult.Infeasible inf -> {
          // Infeasible must at least hold for the smallest allowed tile, or no size is allowed.
          int[] smallest = new int[4];
          boolean empty = false;
          for (Dim d : Dim.values()) {
            int[] allowed = p.allowedSizes(d);
            empty |= allowed.length == 0;
            smallest[d.ordinal()] = allowed.length == 0 ? 1 : allowed[0];
          }
          if (empty) {
            assertThat(inf.reason()).as(where).contains("satisfies");
          } else {
            assertThat(Footprint.of(p, smallest).fits(p.memories())).as(where).isFalse();
            assertThat(inf.reason()).as(where).containsAnyOf("> L1", "> weight memory");
          }
          infeasible++;
        }
      }
    }
    System.out.printf("random geometries: %d solved, %d infeasible, checker clean, %.0f ms%n", solved, infeasible,
        (System.nanoTime() - start) / 1e6);
    assertThat(solved).isGreaterThan(1100);
    assertThat(infeasible).isGreaterThan(50);
  }
}
