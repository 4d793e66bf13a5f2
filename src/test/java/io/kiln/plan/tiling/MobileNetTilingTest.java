package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Tiles every layer of MobileNet-v1 0.25 (VWW) on a DIANA-like budget; records the time. */
class MobileNetTilingTest {

  @Test
  void solvesAllLayersAndEveryTilingChecks() {
    TilingSolver solver = new BranchAndBoundSolver();
    var layers = DianaLike.mobileNetV1Vww();
    assertThat(layers).hasSize(28);
    for (long l1 : new long[] {256 * 1024, 32 * 1024, 8 * 1024}) {
      // Warm once, then time, so the number reflects the solver rather than class loading.
      for (LayerShape l : layers) {
        solver.solve(DianaLike.problem(l, l1, DianaLike.heuristics()));
      }
      long start = System.nanoTime();
      var tilings = layers.stream().map(l -> solver.solve(DianaLike.problem(l, l1, DianaLike.heuristics()))).toList();
      long elapsed = System.nanoTime() - start;
      int tiled = 0;
      for (int i = 0; i < layers.size(); i++) {
        LayerShape l = layers.get(i);
        Tiling t = tilings.get(i).orElseThrow();
        assertThat(TilingChecker.check(DianaLike.problem(l, l1, DianaLike.heuristics()), t)).as(l.toString()).isEmpty();
        if (t.tileCount(l.depthwise()) > 1) {
          tiled++;
        }
      }
      System.out.printf("MobileNet-v1 0.25 VWW, L1 %d kB: %d layers, %d tiled, %.1f ms%n", l1 / 1024,
          layers.size(), tiled, elapsed / 1e6);
      if (l1 == 256 * 1024) {
        // The whole network's largest layer (pw1: 48×48×8 in, 48×48×16 out) fits in 256 kB.
        assertThat(tiled).isZero();
      } else {
        assertThat(tiled).isPositive();
      }
    }
  }
}
