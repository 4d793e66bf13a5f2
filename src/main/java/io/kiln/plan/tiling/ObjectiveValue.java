package io.kiln.plan.tiling;

/** Evaluates the objective of a tile size, the one definition every solver shares. */
final class ObjectiveValue {
  private ObjectiveValue() {}

  static long of(TileProblem p, int[] tile, Footprint f) {
    Objective o = p.objective();
    int[] t = effective(p, tile);
    int kernel = p.layer().fy() * p.layer().fx();
    long v = o.alpha() * f.dataBytes();
    for (Heuristic h : o.heuristics()) {
      v += h.weight() * h.value(t, kernel);
    }
    return v;
  }

  /** For depthwise layers the channel tile is K's, so heuristics on C see K's size. */
  static int[] effective(TileProblem p, int[] tile) {
    if (!p.layer().depthwise()) {
      return tile;
    }
    return new int[] {tile[0], tile[0], tile[2], tile[3]};
  }
}
