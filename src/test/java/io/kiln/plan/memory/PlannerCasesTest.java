package io.kiln.plan.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-made lifetime sets whose optimal arenas are known, and malformed inputs. */
class PlannerCasesTest {
  private static final List<MemoryPlanner> PLANNERS =
      List.of(new LinearPlanner(), new GreedyPlanner(), new BranchAndBoundPlanner());

  private static MemoryPlan planValid(MemoryPlanner p, List<Lifetime> ls, int alignment) {
    MemoryPlan plan = p.plan(ls, alignment);
    assertThat(PlanChecker.check(ls, plan, alignment)).as(p.getClass().getSimpleName()).isEmpty();
    return plan;
  }

  @Test
  void chainNeedsTheLargerAdjacentPair() {
    // A -> op0 -> B -> op1 -> C: A and B meet at step 0, B and C at step 1.
    List<Lifetime> chain = List.of(Lifetime.of(0, "A", 300, 0, 0), Lifetime.of(1, "B", 500, 0, 1),
        Lifetime.of(2, "C", 100, 1, 1));
    assertThat(LowerBound.of(chain, 1)).isEqualTo(800);
    assertThat(planValid(new GreedyPlanner(), chain, 1).arenaBytes()).isEqualTo(800);
    assertThat(planValid(new LinearPlanner(), chain, 1).arenaBytes()).isEqualTo(900);
    // A and C never meet, so they may share bytes.
    MemoryPlan p = planValid(new GreedyPlanner(), chain, 1);
    assertThat(p.offset(0) < p.offset(2) + 100 && p.offset(2) < p.offset(0) + 300).isTrue();
  }

  @Test
  void residualBlockKeepsTheSkipAliveAcrossTheBranch() {
    // x -> conv1 -> h -> conv2 -> y; add(x, y) -> z: x lives across the whole branch.
    List<Lifetime> block = List.of(Lifetime.of(0, "x", 1024, 0, 2),
        Lifetime.of(1, "h", 2048, 0, 1), Lifetime.of(2, "y", 1024, 1, 2),
        Lifetime.of(3, "z", 1024, 2, 2));
    // Step 1 holds x, h, y; step 2 holds x, y, z.
    assertThat(LowerBound.of(block, 16)).isEqualTo(4096);
    for (MemoryPlanner p : List.of(new GreedyPlanner(), new BranchAndBoundPlanner())) {
      assertThat(planValid(p, block, 16).arenaBytes()).isEqualTo(4096);
    }
    assertThat(planValid(new LinearPlanner(), block, 16).arenaBytes()).isEqualTo(5120);
  }

  @Test
  void reshapeAliasIsFreeAndSharesItsTargetsOffset() {
    // a -> op0 -> b -> reshape (step 1) -> b' -> op2 -> c: b and b' are one buffer over [0, 2].
    List<Lifetime> ls = List.of(Lifetime.of(0, "a", 64, 0, 0), Lifetime.of(1, "b", 100, 0, 1),
        Lifetime.aliasing(2, "b'", 100, 1, 2, 1), Lifetime.of(3, "c", 64, 2, 2));
    assertThat(LowerBound.of(ls, 1)).isEqualTo(164);
    for (MemoryPlanner p : PLANNERS) {
      MemoryPlan plan = planValid(p, ls, 1);
      assertThat(plan.offset(2)).isEqualTo(plan.offset(1));
    }
    assertThat(planValid(new GreedyPlanner(), ls, 1).arenaBytes()).isEqualTo(164);
    // Linear gives the alias group one region, not two.
    assertThat(planValid(new LinearPlanner(), ls, 1).arenaBytes()).isEqualTo(228);
  }

  @Test
  void aliasChainsFollowToTheRootAndUniteLifetimes() {
    List<Lifetime> ls = List.of(Lifetime.of(0, "a", 40, 0, 1),
        Lifetime.aliasing(1, "a1", 40, 1, 3, 0), Lifetime.aliasing(2, "a2", 40, 3, 5, 1),
        Lifetime.of(3, "other", 40, 4, 4));
    // other lives at step 4, inside the union [0, 5] of a's group, so it cannot share a's bytes.
    assertThat(LowerBound.of(ls, 1)).isEqualTo(80);
    MemoryPlan p = planValid(new GreedyPlanner(), ls, 1);
    assertThat(p.offset(1)).isEqualTo(p.offset(0));
    assertThat(p.offset(2)).isEqualTo(p.offset(0));
    assertThat(p.arenaBytes()).isEqualTo(80);
  }

  @Test
  void alignmentPadsEveryBufferButTheTopOne() {
    List<Lifetime> ls = List.of(Lifetime.of(0, "a", 5, 0, 0), Lifetime.of(1, "b", 7, 0, 0));
    // Best is 7 padded to 8 at the bottom and 5 unpadded on top; the other way round costs 15.
    assertThat(LowerBound.of(ls, 8)).isEqualTo(13);
    MemoryPlan p = planValid(new GreedyPlanner(), ls, 8);
    assertThat(p.arenaBytes()).isEqualTo(13);
    assertThat(p.offsets().values()).allMatch(o -> o % 8 == 0);
  }

  @Test
  void emptyBuffersAndEmptyListsCostNothing() {
    assertThat(new GreedyPlanner().plan(List.of(), 16).arenaBytes()).isZero();
    List<Lifetime> ls = List.of(Lifetime.of(0, "empty", 0, 0, 3), Lifetime.of(1, "x", 10, 1, 2));
    for (MemoryPlanner p : PLANNERS) {
      assertThat(planValid(p, ls, 16).arenaBytes()).isEqualTo(10);
    }
    assertThat(LowerBound.of(ls, 16)).isEqualTo(10);
  }

  @Test
  void branchAndBoundProvesOptimalityOnSmallSets() {
    List<Lifetime> block = List.of(Lifetime.of(0, "x", 1000, 0, 2),
        Lifetime.of(1, "h", 1500, 0, 1), Lifetime.of(2, "y", 700, 1, 2),
        Lifetime.of(3, "z", 1200, 2, 2));
    BranchAndBoundPlanner.Result r = new BranchAndBoundPlanner().search(block, 16);
    assertThat(r.provenOptimal()).isTrue();
    assertThat(r.plan().arenaBytes()).isEqualTo(BruteForce.bestOverOrders(block, 16));
    // With no budget the search cannot prove anything above the bound, but still plans.
    List<Lifetime> hard = PlannerRandomizedTest.randomLifetimes(new java.util.Random(3), 30, 8, 99);
    BranchAndBoundPlanner.Result cheap = new BranchAndBoundPlanner(0).search(hard, 4);
    assertThat(PlanChecker.check(hard, cheap.plan(), 4)).isEmpty();
    assertThat(cheap.provenOptimal())
        .isEqualTo(cheap.plan().arenaBytes() == LowerBound.of(hard, 4));
  }

  @Test
  void reportComparesWithTheBoundAndTheBaseline() {
    List<Lifetime> chain = List.of(Lifetime.of(0, "A", 300, 0, 0), Lifetime.of(1, "B", 500, 0, 1),
        Lifetime.of(2, "C", 100, 1, 1));
    MemoryPlanReport r =
        MemoryPlanReport.of(chain, 1, new GreedyPlanner().plan(chain, 1));
    assertThat(r).isEqualTo(new MemoryPlanReport(800, 800, 900));
    assertThat(r.atLowerBound()).isTrue();
    assertThat(r.toString()).isEqualTo("arena 800 B (lower bound 800 B, linear 900 B)");
  }

  @Test
  void checkerRejectsBrokenPlans() {
    List<Lifetime> ls = List.of(Lifetime.of(0, "a", 10, 0, 1), Lifetime.of(1, "b", 10, 1, 2),
        Lifetime.aliasing(2, "c", 10, 2, 3, 1));
    assertThat(PlanChecker.check(ls, new MemoryPlan(Map.of(0, 0L, 1, 16L, 2, 16L), 26), 16))
        .isEmpty();
    // c is b's alias, so it collides with a through b's bytes as well.
    assertThat(PlanChecker.check(ls, new MemoryPlan(Map.of(0, 0L, 1, 5L, 2, 5L), 15), 1))
        .containsExactly("'a' [0, 10) and 'b' [5, 15) overlap while both are live",
            "'a' [0, 10) and 'c' [5, 15) overlap while both are live");
    assertThat(PlanChecker.check(ls, new MemoryPlan(Map.of(0, 0L, 1, 12L, 2, 12L), 22), 8))
        .hasSize(2).allMatch(e -> e.contains("not aligned to 8"));
    assertThat(PlanChecker.check(ls, new MemoryPlan(Map.of(0, 0L, 1, 16L, 2, 16L), 20), 16))
        .hasSize(2).allMatch(e -> e.contains("past the arena"));
    assertThat(PlanChecker.check(ls, new MemoryPlan(Map.of(0, 0L, 1, 16L, 2, 32L), 42), 16))
        .singleElement().asString().contains("'c' aliases a buffer at 16 but sits at 32");
    assertThat(PlanChecker.check(ls, new MemoryPlan(Map.of(0, 0L, 1, 16L), 26), 16))
        .singleElement().asString().contains("'c' has no offset");
    // a ends before c starts, but c's data is b's, which is live with a: a may not sit on c.
    List<Lifetime> viaAlias = List.of(Lifetime.of(0, "a", 10, 0, 1),
        Lifetime.of(1, "b", 10, 1, 1), Lifetime.aliasing(2, "c", 10, 2, 3, 1));
    assertThat(PlanChecker.check(viaAlias, new MemoryPlan(Map.of(0, 0L, 1, 0L, 2, 0L), 10), 1))
        .isNotEmpty();
  }

  @Test
  void malformedInputsAreRejected() {
    assertThatThrownBy(() -> Lifetime.of(0, "x", -1, 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative size");
    assertThatThrownBy(() -> Lifetime.of(0, "x", 1, 3, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty or negative");
    assertThatThrownBy(() -> Lifetime.aliasing(0, "x", 1, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aliases itself");
    List<Lifetime> dup = List.of(Lifetime.of(0, "x", 1, 0, 0), Lifetime.of(0, "y", 1, 0, 0));
    List<Lifetime> cycle = List.of(Lifetime.aliasing(0, "x", 1, 0, 0, 1),
        Lifetime.aliasing(1, "y", 1, 0, 0, 0));
    List<Lifetime> dangling = List.of(Lifetime.aliasing(0, "x", 1, 0, 0, 7));
    for (MemoryPlanner p : PLANNERS) {
      assertThatThrownBy(() -> p.plan(dup, 1)).hasMessageContaining("duplicate lifetime id 0");
      assertThatThrownBy(() -> p.plan(cycle, 1)).hasMessageContaining("alias cycle");
      assertThatThrownBy(() -> p.plan(dangling, 1)).hasMessageContaining("unknown id 7");
      assertThatThrownBy(() -> p.plan(List.of(), 0)).hasMessageContaining("alignment");
    }
    assertThatThrownBy(() -> new MemoryPlan(Map.of(), 1).offset(3))
        .hasMessageContaining("no buffer with id 3");
  }
}
