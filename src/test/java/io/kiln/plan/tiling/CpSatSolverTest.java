package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.passes.Pipeline;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.PlannedDispatch;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.lower.Ternarize;
import io.kiln.plan.schedule.LayerPlanner;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import io.kiln.testing.TestTargets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * CP-SAT against branch and bound on Kiln's real layers (the random small cases against the
 * exhaustive solver are in {@link SolverAgreementTest}), and how CP-SAT fails.
 */
class CpSatSolverTest {
  private static final TilingSolver CPSAT = new CpSatSolver();
  private static final TilingSolver BNB = new BranchAndBoundSolver();

  @Test
  void agreesWithBranchAndBoundOnTheSweepAndMobileNetLayers() {
    List<TileProblem> problems = new ArrayList<>();
    for (LayerShape l : L1SweepTest.layers().values()) {
      for (long l1 = 256 * 1024; l1 >= 64; l1 /= 2) {
        problems.add(DianaLike.problem(l, l1, DianaLike.heuristics()));
        problems.add(DianaLike.problem(l, l1, DianaLike.heuristics().withoutHeuristics()));
      }
    }
    for (LayerShape l : DianaLike.mobileNetV1Vww()) {
      for (long l1 : new long[] {32 * 1024, 8 * 1024}) {
        problems.add(DianaLike.problem(l, l1, DianaLike.heuristics()));
      }
    }
    Outcomes o = agree("sweep and MobileNet layers", problems);
    assertThat(o.tiled).isGreaterThan(90);
    assertThat(o.infeasible).isGreaterThan(20);
  }

  /**
   * Every tiling problem the layer planner poses for the four MLPerf Tiny models: on DIANA with
   * its L1 shrunk so that layers must be tiled (mixed policy with plan-time ternarization, so the
   * analog array's problems are included) and on the default DLA.
   */
  @Test
  void agreesWithBranchAndBoundOnWhatThePlannerPosesForMlperfTiny() {
    List<TileProblem> problems = new ArrayList<>();
    HardwareDescription diana = Targets.resolve("diana");
    for (long l1 : new long[] {32 * 1024, 8 * 1024}) {
      problems.addAll(posed(TestTargets.withMemory(diana, "l1", l1), Policy.MIXED, true));
    }
    problems.addAll(posed(Targets.resolve("dla"), Policy.FIRST, false));
    Outcomes o = agree("MLPerf Tiny problems", problems);
    assertThat(o.tiled).isGreaterThan(50);
  }

  @Test
  void anInfeasibilityOnlyTheSearchFindsHasTheExhaustiveReason() {
    // With 50 B of L1, each dimension alone still fits at size 1 beside the others' smallest
    // unsplit buffers, so nothing is ruled out before the search; the smallest tile splitting
    // everything needs 62 B once its buffers are doubled.
    TileProblem p = new TileProblem(LayerShape.convSame(16, 8, 12, 12, 3, 3, 1), ElementSizes.int8(),
        new Memories(50, 0, true), List.of(), Objective.memoryOnly());
    TilingResult expected = new ExhaustiveSolver().solve(p);
    assertThat(expected).isInstanceOf(TilingResult.Infeasible.class);
    assertThat(CPSAT.solve(p)).isEqualTo(expected);
    assertThat(((TilingResult.Infeasible) expected).reason()).contains("needs 62 B").contains("> L1 50 B");
  }

  @Test
  void aNativeLibraryThatDoesNotLoadIsOneSentence() {
    Optional<String> failed = OrToolsNatives.load(() -> {
      throw new UnsatisfiedLinkError("libjniortools.so: cannot open shared object file:\nNo such file or directory");
    });
    assertThat(failed).hasValueSatisfying(reason -> assertThat(reason)
        .startsWith("OR-Tools' native library did not load (libjniortools.so: cannot open shared object file")
        .doesNotContain("\n"));
    Optional<String> wrapped = OrToolsNatives.load(() -> {
      throw new IllegalStateException("unpacking", new java.io.IOException("No space left on device"));
    });
    assertThat(wrapped).contains("OR-Tools' native library did not load (No space left on device)");
  }

  private record Outcomes(int tiled, int untiled, int infeasible) {}

  /** Both solvers on every problem: the same objective (or reason), both tilings checked. */
  private static Outcomes agree(String what, List<TileProblem> problems) {
    int tiled = 0;
    int untiled = 0;
    int infeasible = 0;
    long bnbNanos = 0;
    long cpsatNanos = 0;
    for (TileProblem p : problems) {
      long t0 = System.nanoTime();
      TilingResult a = BNB.solve(p);
      long t1 = System.nanoTime();
      TilingResult b = CPSAT.solve(p);
      bnbNanos += t1 - t0;
      cpsatNanos += System.nanoTime() - t1;
      String where = p.toString();
      if (a instanceof TilingResult.Solved sa) {
        assertThat(b).as(where).isInstanceOf(TilingResult.Solved.class);
        Tiling tb = ((TilingResult.Solved) b).tiling();
        assertThat(tb.objective()).as(where).isEqualTo(sa.tiling().objective());
        assertThat(TilingChecker.check(p, tb)).as(where).isEmpty();
        if (tb.tileCount(p.layer().depthwise()) > 1) {
          tiled++;
        } else {
          untiled++;
        }
      } else {
        assertThat(b).as(where).isEqualTo(a);
        infeasible++;
      }
    }
    System.out.printf("%s: %d problems (%d tiled, %d untiled, %d infeasible), same objectives; bnb %.0f ms,"
        + " cpsat %.0f ms%n", what, problems.size(), tiled, untiled, infeasible, bnbNanos / 1e6, cpsatNanos / 1e6);
    return new Outcomes(tiled, untiled, infeasible);
  }

  /** The problems {@link LayerPlanner} poses when {@code kiln plan} plans the four models. */
  private static List<TileProblem> posed(HardwareDescription hw, Policy policy, boolean ternarize) {
    List<TileProblem> posed = new ArrayList<>();
    LayerPlanner planner = new LayerPlanner(hw, p -> {
      posed.add(p);
      return BNB.solve(p);
    });
    for (String model : List.of("kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8")) {
      Graph g = Pipeline.DEFAULT.apply(TfliteImporter.load(SharedModels.file("mlperf-tiny/" + model + ".tflite")));
      if (ternarize) {
        g = Ternarize.apply(g).graph();
      }
      PlannedDispatch.of(g, hw, new Dispatcher.Options(policy, ternarize, null), planner);
    }
    return posed;
  }
}
