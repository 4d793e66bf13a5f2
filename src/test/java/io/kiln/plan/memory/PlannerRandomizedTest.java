package io.kiln.plan.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded randomized checks of every planner against the checker, the bounds and the optimum. */
class PlannerRandomizedTest {
  private static final int[] ALIGNMENTS = {1, 2, 4, 16};

  /**
   * Random lifetimes over {@code steps} steps; about one in six aliases an earlier buffer (as a
   * Reshape output would), with a lifetime starting where its target's ends.
   */
  static List<Lifetime> randomLifetimes(Random rnd, int count, int steps, int maxBytes) {
    List<Lifetime> ls = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long bytes = rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(maxBytes);
      if (i > 0 && rnd.nextInt(6) == 0) {
        Lifetime target = ls.get(rnd.nextInt(i));
        int from = target.lastStep();
        int to = Math.min(steps - 1, from + rnd.nextInt(3));
        ls.add(Lifetime.aliasing(100 + i, "a" + i, target.bytes(), from, to, target.id()));
        continue;
      }
      int a = rnd.nextInt(steps);
      int b = Math.min(steps - 1, a + rnd.nextInt(Math.max(1, steps / 2)));
      ls.add(Lifetime.of(100 + i, "b" + i, bytes, a, b));
    }
    return ls;
  }

  @Test
  void everyPlanIsValidAndBetweenTheBoundAndTheBaseline() {
    Random rnd = new Random(20260901);
    MemoryPlanner linear = new LinearPlanner();
    MemoryPlanner greedy = new GreedyPlanner();
    int belowLinear = 0;
    for (int trial = 0; trial < 2000; trial++) {
      int alignment = ALIGNMENTS[rnd.nextInt(ALIGNMENTS.length)];
      int count = 1 + rnd.nextInt(30);
      List<Lifetime> ls = randomLifetimes(rnd, count, 1 + rnd.nextInt(20), 1 + rnd.nextInt(500));
      MemoryPlan lin = linear.plan(ls, alignment);
      MemoryPlan gre = greedy.plan(ls, alignment);
      assertThat(PlanChecker.check(ls, lin, alignment)).as("linear, trial %d", trial).isEmpty();
      assertThat(PlanChecker.check(ls, gre, alignment)).as("greedy, trial %d", trial).isEmpty();
      long lower = LowerBound.of(ls, alignment);
      assertThat(gre.arenaBytes()).as("trial %d", trial)
          .isLessThanOrEqualTo(lin.arenaBytes()).isGreaterThanOrEqualTo(lower);
      if (gre.arenaBytes() < lin.arenaBytes()) {
        belowLinear++;
      }
    }
    // Reuse is the point: most random sets must beat the baseline, not merely tie it.
    assertThat(belowLinear).isGreaterThan(1600);
  }

  @Test
  void branchAndBoundMatchesAnIndependentBruteForceOptimum() {
    Random rnd = new Random(7);
    BranchAndBoundPlanner exact = new BranchAndBoundPlanner();
    for (int trial = 0; trial < 1500; trial++) {
      int alignment = new int[] {1, 2, 4}[rnd.nextInt(3)];
      List<Lifetime> ls = randomLifetimes(rnd, 1 + rnd.nextInt(5), 1 + rnd.nextInt(5), 6);
      BranchAndBoundPlanner.Result r = exact.search(ls, alignment);
      assertThat(r.provenOptimal()).isTrue();
      assertThat(PlanChecker.check(ls, r.plan(), alignment)).isEmpty();
      assertThat(r.plan().arenaBytes()).as("trial %d: %s", trial, ls)
          .isEqualTo(BruteForce.optimum(ls, alignment));
    }
  }

  @Test
  void greedyNeverBeatsTheOptimumAndUsuallyReachesIt() {
    Random rnd = new Random(12345);
    GreedyPlanner greedy = new GreedyPlanner();
    int trials = 2000;
    int optimal = 0;
    int atLowerBound = 0;
    long worstExcess = 0;
    for (int trial = 0; trial < trials; trial++) {
      int alignment = ALIGNMENTS[rnd.nextInt(ALIGNMENTS.length)];
      List<Lifetime> ls = randomLifetimes(rnd, 2 + rnd.nextInt(5), 2 + rnd.nextInt(6), 100);
      long best = BruteForce.bestOverOrders(ls, alignment);
      BranchAndBoundPlanner.Result exact = new BranchAndBoundPlanner().search(ls, alignment);
      assertThat(exact.provenOptimal()).isTrue();
      assertThat(exact.plan().arenaBytes()).isEqualTo(best);
      long g = greedy.plan(ls, alignment).arenaBytes();
      assertThat(g).isGreaterThanOrEqualTo(best);
      optimal += g == best ? 1 : 0;
      atLowerBound += best == LowerBound.of(ls, alignment) ? 1 : 0;
      worstExcess = Math.max(worstExcess, g - best);
    }
    System.out.printf("greedy optimal on %d of %d random sets (optimum = lower bound on %d);"
        + " worst excess %d bytes%n", optimal, trials, atLowerBound, worstExcess);
    assertThat(optimal).isGreaterThan(trials * 9 / 10);
  }

  @Test
  void chainsArePlannedAtTheLowerBound() {
    Random rnd = new Random(99);
    int greedyHits = 0;
    int exactHits = 0;
    int trials = 1500;
    for (int trial = 0; trial < trials; trial++) {
      int alignment = ALIGNMENTS[rnd.nextInt(ALIGNMENTS.length)];
      int n = 1 + rnd.nextInt(40);
      // Buffer i is written at step i and read at step i + 1: a plain feed-forward chain.
      List<Lifetime> ls = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ls.add(Lifetime.of(i, "t" + i, 1 + rnd.nextInt(1000), i, Math.min(i + 1, n - 1)));
      }
      long lower = LowerBound.of(ls, alignment);
      MemoryPlan g = new GreedyPlanner().plan(ls, alignment);
      assertThat(PlanChecker.check(ls, g, alignment)).isEmpty();
      if (alignment == 1) {
        // Alternating buffers between the bottom and the top of [0, max pair) is always valid,
        // so the bound is the optimum, and greedy must find it.
        assertThat(g.arenaBytes()).as("trial %d", trial).isEqualTo(lower);
      }
      BranchAndBoundPlanner.Result r = new BranchAndBoundPlanner(10_000).search(ls, alignment);
      assertThat(r.plan().arenaBytes()).isLessThanOrEqualTo(g.arenaBytes());
      greedyHits += g.arenaBytes() == lower ? 1 : 0;
      exactHits += r.plan().arenaBytes() == lower ? 1 : 0;
    }
    System.out.printf("chains: greedy at the lower bound on %d of %d, branch and bound on %d%n",
        greedyHits, trials, exactHits);
    assertThat(greedyHits).isGreaterThan(trials * 9 / 10);
  }

  @Test
  void branchAndBoundIsNeverWorseThanGreedyAndStaysValidOnLargerSets() {
    Random rnd = new Random(4242);
    for (int trial = 0; trial < 200; trial++) {
      int alignment = ALIGNMENTS[rnd.nextInt(ALIGNMENTS.length)];
      List<Lifetime> ls = randomLifetimes(rnd, 10 + rnd.nextInt(30), 5 + rnd.nextInt(20), 300);
      BranchAndBoundPlanner.Result r = new BranchAndBoundPlanner(5_000).search(ls, alignment);
      assertThat(PlanChecker.check(ls, r.plan(), alignment)).isEmpty();
      assertThat(r.plan().arenaBytes())
          .isLessThanOrEqualTo(new GreedyPlanner().plan(ls, alignment).arenaBytes())
          .isGreaterThanOrEqualTo(LowerBound.of(ls, alignment));
    }
  }
}
