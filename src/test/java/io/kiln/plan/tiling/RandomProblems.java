package io.kiln.plan.tiling;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded random tiling problems: layer geometries, element sizes, budgets, rules and objectives. */
final class RandomProblems {
  private RandomProblems() {}

  /** A random conv, depthwise or FC layer with channels up to {@code maxCh} and spatial up to {@code maxHw}. */
  static LayerShape layer(Random r, int maxCh, int maxHw) {
    int kind = r.nextInt(10);
    if (kind == 0) {
      return LayerShape.fullyConnected(1 + r.nextInt(maxCh), 1 + r.nextInt(maxCh));
    }
    int f = 1 + r.nextInt(7);
    int fx = r.nextInt(4) == 0 ? 1 + r.nextInt(7) : f;
    int stride = 1 + r.nextInt(2);
    int dil = r.nextInt(6) == 0 ? 2 : 1;
    int reachY = (f - 1) * dil + 1;
    int reachX = (fx - 1) * dil + 1;
    int padY = r.nextInt((reachY - 1) / 2 + 1);
    int padX = r.nextInt((reachX - 1) / 2 + 1);
    int iy = Math.max(reachY - 2 * padY, 1 + r.nextInt(maxHw));
    int ix = Math.max(reachX - 2 * padX, 1 + r.nextInt(maxHw));
    int c = 1 + r.nextInt(maxCh);
    if (kind <= 2) {
      LayerShape s = LayerShape.conv(c, c, iy, ix, f, fx, stride, dil, padY, padY, padX, padX);
      return new LayerShape(c, c, iy, ix, s.oy(), s.ox(), f, fx, stride, stride, dil, dil, padY, padX, true);
    }
    return LayerShape.conv(1 + r.nextInt(maxCh), c, iy, ix, f, fx, stride, dil, padY, padY, padX, padX);
  }

  static ElementSizes sizes(Random r) {
    ElementSizes s = r.nextBoolean() ? ElementSizes.int8() : new ElementSizes(8, 8, 8, 1, 1, 0, 32, 4);
    ElementSizes base = switch (r.nextInt(6)) {
      case 0 -> s.withWeightBits(2);
      case 1 -> s.withSparsity(2, 4, 2);
      case 2 -> s.withWeightBits(4).withSparsity(1, 4, 2);
      case 3 -> new ElementSizes(16, 16, 8, 1, 1, 0, 64, 8);
      default -> s;
    };
    // A second operand streamed with the outputs (residual skip, element-wise rhs), and layers
    // without weights (pooling, element-wise), with and without one.
    ElementSizes sized = switch (r.nextInt(6)) {
      case 0 -> base.withOperandBits(8);
      case 1 -> new ElementSizes(8, 8, 0, 1, 1, 0, 32, 0, r.nextBoolean() ? 8 : 0);
      case 2 -> new ElementSizes(16, 16, 0, 1, 1, 0, 64, 0, 16);
      default -> base;
    };
    // Blocked weight layouts (array blocks, crossbar rows) pad a tile's channels to whole blocks.
    if (sized.sparseN() == sized.sparseM() && r.nextInt(4) == 0) {
      sized = sized.withBlocks(1 + r.nextInt(8), r.nextBoolean() ? 1 : 1 + r.nextInt(4));
    }
    return sized;
  }

  static List<TileConstraint> constraints(Random r, LayerShape l) {
    List<TileConstraint> out = new ArrayList<>();
    if (r.nextInt(4) == 0) {
      out.add(new TileConstraint.Untiled(Dim.C));
    }
    if (r.nextInt(4) == 0) {
      out.add(new TileConstraint.MultipleOf(r.nextBoolean() ? Dim.K : Dim.OX, 1 + r.nextInt(8)));
    }
    if (r.nextInt(4) == 0) {
      out.add(new TileConstraint.AtMost(Dim.values()[r.nextInt(4)], 1 + r.nextInt(32)));
    }
    if (r.nextInt(5) == 0) {
      out.add(new TileConstraint.AtLeast(Dim.OY, 1 + r.nextInt(l.fy() + 1)));
    }
    return out;
  }

  static Objective objective(Random r) {
    List<Heuristic> hs = new ArrayList<>();
    if (r.nextBoolean()) {
      hs.add(new Heuristic.MultipleOf(Dim.values()[r.nextInt(4)], 1 + r.nextInt(16), r.nextInt(2000)));
    }
    if (r.nextBoolean()) {
      hs.add(new Heuristic.Maximize(Dim.values()[r.nextInt(4)], r.nextInt(500)));
    }
    if (r.nextInt(3) == 0) {
      hs.add(new Heuristic.Unroll(List.of(Dim.C), true, 1 + r.nextInt(1152), r.nextInt(50)));
    }
    return new Objective(r.nextInt(4), hs);
  }

  /**
   * A problem whose L1 budget lies between what the smallest tile and the whole layer need, so
   * that most cases must be tiled and some are infeasible.
   */
  static TileProblem problem(Random r, int maxCh, int maxHw) {
    LayerShape l = layer(r, maxCh, maxHw);
    ElementSizes s = sizes(r);
    boolean db = r.nextInt(3) != 0;
    boolean separate = r.nextInt(3) == 0;
    List<TileConstraint> cs = constraints(r, l);
    Objective o = objective(r);
    TileProblem probe = new TileProblem(l, s, new Memories(Long.MAX_VALUE / 4, 0, db), cs, o);
    int[] one = {1, 1, 1, 1};
    int[] full = {l.k(), l.c(), l.oy(), l.ox()};
    long small = Footprint.of(probe, one).l1Bytes();
    long big = Footprint.lowerBound(probe, full, one).l1Bytes();
    long l1 = Math.max(1, (long) (small * 0.8 + r.nextDouble() * (big - small * 0.8) * (r.nextBoolean() ? 0.1 : 1.1)));
    long wm = 0;
    if (separate) {
      long wSmall = Footprint.of(new TileProblem(l, s, new Memories(1, 1, db), cs, o), one).weightMemoryBytes();
      long wBig = Footprint.lowerBound(new TileProblem(l, s, new Memories(1, 1, db), cs, o), full, one).weightMemoryBytes();
      wm = Math.max(1, (long) (wSmall * 0.9 + r.nextDouble() * (wBig - wSmall * 0.9) * 1.1));
    }
    return new TileProblem(l, s, new Memories(l1, wm, db), cs, o);
  }
}
