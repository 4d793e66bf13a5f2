package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules every solver follows, on hand-made layers, for every solver. */
class TilingSolverTest {

  private static final List<TilingSolver> SOLVERS = List.of(new ExhaustiveSolver(), new BranchAndBoundSolver(), new CpSatSolver());
  private static final LayerShape CONV = LayerShape.convSame(16, 8, 12, 12, 3, 3, 1);

  private static TileProblem problem(LayerShape l, long l1, long wm, List<TileConstraint> cs, Objective o) {
    return new TileProblem(l, ElementSizes.int8(), new Memories(l1, wm, true), cs, o);
  }

  @Test
  void aLayerThatFitsIsNotTiledEvenWhenHeuristicsPreferSmallerTiles() {
    // MULTIPLE_OF(OX, 8) alone would favour OX=8 over 12; the whole layer fits, so no tiling.
    Objective o = new Objective(0, List.of(new Heuristic.MultipleOf(Dim.OX, 8, 1000)));
    for (TilingSolver s : SOLVERS) {
      Tiling t = s.solve(problem(CONV, 64 * 1024, 0, List.of(), o)).orElseThrow();
      assertThat(t.sizes()).containsExactly(16, 8, 12, 12);
      assertThat(t.tileCount(false)).isEqualTo(1);
      // Loaded once, nothing is doubled: 8·12·12 in + 16·8·9 w + 16·12·12 out + 16·9 params.
      assertThat(t.footprint().l1Bytes()).isEqualTo(1152 + 1152 + 2304 + 144);
    }
  }

  @Test
  void weightsLargerThanTheWeightMemoryAreTiledOverK() {
    // 16·8·9 = 1152 B of weights; a 700 B weight memory holds one double-buffered K tile of 4
    // (2·4·72 = 576 B), not of 5 (720 B).
    for (TilingSolver s : SOLVERS) {
      TileProblem p = problem(CONV, 64 * 1024, 700, List.of(new TileConstraint.Untiled(Dim.C)), Objective.memoryOnly());
      Tiling t = s.solve(p).orElseThrow();
      assertThat(t.tileK()).isEqualTo(4);
      assertThat(t.tilesK()).isEqualTo(4);
      assertThat(t.tileOY()).isEqualTo(12);
      assertThat(t.tileOX()).isEqualTo(12);
      assertThat(t.footprint().weightMemoryBytes()).isEqualTo(576);
      assertThat(TilingChecker.check(p, t)).isEmpty();
    }
  }

  @Test
  void infeasibleReportsTheSmallestTileAndTheMemory() {
    for (TilingSolver s : SOLVERS) {
      TilingResult r = s.solve(problem(CONV, 40, 0, List.of(), Objective.memoryOnly()));
      assertThat(r).isInstanceOf(TilingResult.Infeasible.class);
      // K=C=OY=OX=1: 3×3 input window 9 B ×2, 9 B weights ×2, 4 B partial sum ×2, 9 B params ×2.
      assertThat(((TilingResult.Infeasible) r).reason())
          .isEqualTo("even the smallest tile (K=1, C=1, OY=1, OX=1) needs 62 B (input 18 + weights 18 + output 8"
              + " + parameters 18, streaming buffers doubled) > L1 40 B");
      TilingResult w = s.solve(problem(CONV, 64 * 1024, 8, List.of(new TileConstraint.Untiled(Dim.C)),
          Objective.memoryOnly()));
      assertThat(((TilingResult.Infeasible) w).reason())
          .isEqualTo("even the smallest tile (K=1, C=8, OY=1, OX=1) needs 144 B of weights > weight memory 8 B");
      TilingResult none = s.solve(problem(CONV, 64 * 1024, 0,
          List.of(new TileConstraint.AtMost(Dim.OX, 3), new TileConstraint.AtLeast(Dim.OX, 4)), Objective.memoryOnly()));
      assertThat(((TilingResult.Infeasible) none).reason()).startsWith("no OX tile size satisfies");
    }
  }

  @Test
  void alignmentHeuristicPicksMultiplesOfTheArray() {
    LayerShape l = LayerShape.convSame(64, 16, 40, 40, 3, 3, 1);
    Objective o = new Objective(1, List.of(new Heuristic.MultipleOf(Dim.K, 16, 100_000),
        new Heuristic.MultipleOf(Dim.OX, 16, 100_000)));
    for (TilingSolver s : List.<TilingSolver>of(new BranchAndBoundSolver(), new CpSatSolver())) {
      Tiling with = s.solve(problem(l, 24 * 1024, 0, List.of(new TileConstraint.Untiled(Dim.C)), o)).orElseThrow();
      assertThat(with.tileK() % 16).isZero();
      assertThat(with.tileOX() % 16).isZero();
      Tiling without = s.solve(problem(l, 24 * 1024, 0, List.of(new TileConstraint.Untiled(Dim.C)),
          o.withoutHeuristics())).orElseThrow();
      assertThat(without.footprint().dataBytes()).isGreaterThanOrEqualTo(with.footprint().dataBytes());
    }
  }

  @Test
  void depthwiseTilesChannelsTogetherAndKeepsEveryInputChannelWithItsOutput() {
    LayerShape dw = LayerShape.depthwiseSame(32, 16, 16, 3, 3, 1);
    for (TilingSolver s : SOLVERS) {
      TileProblem p = problem(dw, 2048, 0, List.of(), Objective.memoryOnly());
      Tiling t = s.solve(p).orElseThrow();
      assertThat(t.tileC()).isEqualTo(t.tileK());
      assertThat(t.tilesC()).isEqualTo(t.tilesK());
      assertThat(TilingChecker.check(p, t)).isEmpty();
    }
  }

  @Test
  void splittingInputChannelsReservesPartialSums() {
    LayerShape fc = LayerShape.fullyConnected(4, 1000);
    TileProblem p = problem(fc, 1200, 0, List.of(), Objective.memoryOnly());
    for (TilingSolver s : SOLVERS) {
      Tiling t = s.solve(p).orElseThrow();
      assertThat(t.tilesC()).isGreaterThan(1);
      // int32 partial sums for the 4 outputs, double-buffered only if K is split too.
      assertThat(t.footprint().outputBytes()).isEqualTo(t.tilesK() > 1 ? 2 * 4 * t.tileK() : 4 * t.tileK());
      assertThat(TilingChecker.check(p, t)).isEmpty();
    }
  }

  @Test
  void sparseAndTernaryWeightsCountTheirBits() {
    TileProblem dense = problem(CONV, 1 << 20, 0, List.of(), Objective.memoryOnly());
    ElementSizes sparse = ElementSizes.int8().withSparsity(2, 4, 2);
    TileProblem sp = new TileProblem(CONV, sparse, dense.memories(), List.of(), Objective.memoryOnly());
    TileProblem ternary = new TileProblem(CONV, ElementSizes.int8().withWeightBits(2), dense.memories(), List.of(),
        Objective.memoryOnly());
    int[] full = {16, 8, 12, 12};
    assertThat(Footprint.of(dense, full).weightBytes()).isEqualTo(16 * 72);
    // 72 weights per channel → 18 groups of 4 → 36 kept, 10 bits each.
    assertThat(Footprint.of(sp, full).weightBytes()).isEqualTo(16 * 36 * 10 / 8);
    assertThat(Footprint.of(ternary, full).weightBytes()).isEqualTo(16 * 72 * 2 / 8);
  }
}
