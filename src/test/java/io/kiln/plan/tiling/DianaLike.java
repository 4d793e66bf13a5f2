package io.kiln.plan.tiling;

import java.util.List;

/**
 * Stand-in numbers for a DIANA-like digital accelerator until the hardware descriptions supply
 * them: 16×16 array unrolling K and OX, C never split (the output stage requantizes in place),
 * weights in a 64 kB memory of their own, double-buffered DMA.
 */
final class DianaLike {
  private DianaLike() {}

  static final long WEIGHT_MEMORY = 64 * 1024;

  static Objective heuristics() {
    return new Objective(1, List.of(
        new Heuristic.MultipleOf(Dim.K, 16, 2_000),
        new Heuristic.MultipleOf(Dim.OX, 16, 2_000),
        new Heuristic.Maximize(Dim.OY, 200)));
  }

  static TileProblem problem(LayerShape l, long l1, Objective o) {
    return new TileProblem(l, ElementSizes.int8(), new Memories(l1, WEIGHT_MEMORY, true),
        List.of(new TileConstraint.Untiled(Dim.C)), o);
  }

  /** The 28 conv/FC layers of MobileNet-v1 0.25 for 96×96 Visual Wake Words. */
  static List<LayerShape> mobileNetV1Vww() {
    List<LayerShape> layers = new java.util.ArrayList<>();
    layers.add(LayerShape.convSame(8, 3, 96, 96, 3, 3, 2));
    int[][] blocks = {{8, 16, 1}, {16, 32, 2}, {32, 32, 1}, {32, 64, 2}, {64, 64, 1}, {64, 128, 2},
        {128, 128, 1}, {128, 128, 1}, {128, 128, 1}, {128, 128, 1}, {128, 128, 1}, {128, 256, 2}, {256, 256, 1}};
    int hw = 48;
    for (int[] b : blocks) {
      LayerShape dw = LayerShape.depthwiseSame(b[0], hw, hw, 3, 3, b[2]);
      layers.add(dw);
      hw = dw.oy();
      layers.add(LayerShape.convSame(b[1], b[0], hw, hw, 1, 1, 1));
    }
    layers.add(LayerShape.fullyConnected(2, 256));
    return layers;
  }
}
