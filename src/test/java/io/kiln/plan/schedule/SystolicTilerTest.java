package io.kiln.plan.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.plan.tiling.BranchAndBoundSolver;
import io.kiln.plan.tiling.Dim;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.TileProblem;
import io.kiln.plan.tiling.Tiling;
import io.kiln.plan.tiling.TilingChecker;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.OpPattern;
import io.kiln.target.SystolicParameters;
import io.kiln.target.SystolicParameters.Im2col;
import io.kiln.target.Targets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The systolic unit's tiler: tile shapes of the array and the im2col method, SRAM reservations
 * with the workspace, compute priced by the engine, a clear refusal when no tile fits, and plans
 * within a few percent of the exhaustive best on small random layers.
 */
class SystolicTilerTest {

  private static LayerPlanResult plan(Graph g, HardwareDescription hw) {
    return new LayerPlanner(hw, new BranchAndBoundSolver()).plan(g, g.nodes().get(0),
        new Unit.AcceleratorUnit(hw.accelerators().get(0)));
  }

  private static Graph conv(long seed, boolean dw, int c, int k, int hw, int f, int stride) {
    return LayerPlannerRandomTest.conv(new Random(seed), dw, c, k, hw, hw, f, stride, f / 2);
  }

  @Test
  void tilesFollowTheArrayAndTheIm2colMethodAndFitTheSram() {
    Random r = new Random(1212);
    int checked = 0;
    for (int i = 0; i < 150; i++) {
      Im2col m = Im2col.values()[r.nextInt(3)];
      int rows = 4 << r.nextInt(3);
      int cols = 4 << r.nextInt(3);
      long sram = 2048L << r.nextInt(6);
      HardwareDescription hw = Targets.resolve("systolic:rows=" + rows + ",cols=" + cols + ",word=2,sram=" + sram
          + "B,im2col=" + m.name().toLowerCase(java.util.Locale.ROOT));
      boolean dw = r.nextInt(4) == 0;
      int c = 1 + r.nextInt(40);
      int f = 1 + 2 * r.nextInt(3);
      Graph g = conv(i, dw, c, dw ? c : 1 + r.nextInt(40), f + r.nextInt(14), f, 1 + r.nextInt(2));
      if (!(plan(g, hw) instanceof LayerPlan p)) {
        continue;
      }
      checked++;
      LayerShape l = p.problem().layer();
      Tiling t = p.tiling();
      String at = "case " + i + " " + m + " " + rows + "x" + cols + " " + sram + " B: " + l + " " + t;
      assertThat(TilingChecker.check(p.problem(), t)).as(at).isEmpty();
      assertThat(PlanChecker.check(p)).as(at).isEmpty();
      assertThat(p.l1Bytes()).as(at).isLessThanOrEqualTo(sram).isGreaterThanOrEqualTo(t.footprint().l1Bytes());
      if (!l.depthwise()) {
        assertThat(t.tileK() % cols == 0 || t.tileK() == l.k()).as(at).isTrue();
        int taps = l.fy() * l.fx();
        boolean rowBlocks = m == Im2col.EXPLICIT ? (long) t.tileC() * taps % rows == 0 : t.tileC() % rows == 0;
        assertThat(rowBlocks || t.tileC() == l.c()).as(at).isTrue();
        if (m != Im2col.EXPLICIT && l.c() <= rows) {
          // Decomposed filters share the rows only with every input channel present.
          assertThat(t.tileC()).as(at).isEqualTo(l.c());
        }
      }
      // Whole output rows, or part of one.
      assertThat(t.tileOX() == l.ox() || t.tileOY() == 1).as(at).isTrue();
    }
    assertThat(checked).isGreaterThan(100);
  }

  @Test
  void eachTileComputesForTheEngineCyclesTheSimulatorCharges() {
    HardwareDescription hw = Targets.resolve("systolic:rows=16,cols=8,word=2,sram=6KiB,tiles=2");
    Graph g = conv(3, false, 6, 20, 20, 3, 1);
    LayerPlan p = (LayerPlan) plan(g, hw);
    assertThat(p.calls()).hasSizeGreaterThan(1);
    Accelerator a = hw.accelerators().get(0);
    SystolicEngine e = SystolicEngine.of(hw, a);
    List<TileOrder.Tile> tiles = TileOrder.of(p.problem().layer(), p.tiling());
    for (ComputeCall c : p.calls()) {
      TileOrder.Tile t = tiles.get(c.tileIndex());
      long want = e.time(GemmTile.of(p.problem().layer(), t.k(), t.c(), t.y(), t.x(), 1)).cycles()
          + a.perCallOverheadCycles();
      assertThat(c.cycles()).isEqualTo(want);
    }
  }

  @Test
  void multiTileDuplicatesTheInputInTheSramReservation() {
    Graph g = conv(4, false, 8, 16, 16, 3, 1);
    long[] reserved = new long[4];
    for (int n = 1; n <= 3; n++) {
      HardwareDescription hw = Targets.resolve("systolic:rows=32,cols=16,word=4,sram=1MiB,tiles=" + n);
      LayerPlan p = (LayerPlan) plan(g, hw);
      // One tile: the whole 16x16x8 input, n copies of it side by side on the rows.
      assertThat(p.tiling().tileCount(false)).isEqualTo(1);
      reserved[n] = p.l1Bytes();
      if (n > 1) {
        assertThat(reserved[n] - reserved[n - 1]).isEqualTo(16L * 16 * 8);
      }
    }
    // Explicit materializes the lowered matrix, 9 taps of every position.
    LayerPlan x = (LayerPlan) plan(g, Targets.resolve("systolic:rows=32,cols=16,word=4,sram=1MiB,im2col=explicit"));
    assertThat(x.l1Bytes() - x.tiling().footprint().l1Bytes()).isEqualTo(16L * 16 * 8 * 9);
  }

  @Test
  void anSramTooSmallForAnyTileOfTheLayerIsUnplannableNamingTheField() {
    // 8x8 array, 512 B: the description's minimum holds, but no tile of a 3x3 conv's weights does.
    HardwareDescription hw = Targets.resolve("systolic:rows=8,cols=8,word=2,sram=512B");
    LayerPlanResult r = plan(conv(5, false, 8, 8, 8, 3, 1), hw);
    assertThat(r).isInstanceOf(Unplannable.class);
    assertThat(((Unplannable) r).reason()).startsWith("sram: L1 'sram' of 512 bytes holds no tile of this "
        + "layer; the smallest (K 8, C 8, 1x1 outputs, im2col implicit) needs");
  }

  @Test
  void plansAreWithinFivePercentOfTheExhaustiveBestOnSmallLayers() {
    Random r = new Random(77);
    double worst = 1;
    for (int i = 0; i < 12; i++) {
      Im2col m = Im2col.values()[r.nextInt(3)];
      HardwareDescription hw = Targets.resolve("systolic:rows=8,cols=8,word=2,sram=" + (1536 + 512 * r.nextInt(6))
          + "B,im2col=" + m.name().toLowerCase(java.util.Locale.ROOT));
      int c = 1 + r.nextInt(16);
      int f = 1 + 2 * r.nextInt(2);
      Graph g = conv(100 + i, false, c, 1 + r.nextInt(16), f + 2 + r.nextInt(5), f, 1 + r.nextInt(2));
      if (!(plan(g, hw) instanceof LayerPlan chosen)) {
        continue;
      }
      long best = exhaustive(g, hw);
      assertThat(chosen.totalCycles()).isGreaterThanOrEqualTo(best);
      worst = Math.max(worst, (double) chosen.totalCycles() / best);
      assertThat((double) chosen.totalCycles()).as("case %d %s %s", i, m, chosen.tiling())
          .isLessThanOrEqualTo(1.05 * best);
    }
    assertThat(worst).isLessThan(1.05);
  }

  /** The fewest cycles of any tiling whose SRAM reservation fits, each scheduled exactly. */
  private static long exhaustive(Graph g, HardwareDescription hw) {
    Node n = g.nodes().get(0);
    Accelerator a = hw.accelerators().get(0);
    Unit.AcceleratorUnit unit = new Unit.AcceleratorUnit(a);
    LayerGeometry geo = LayerGeometry.of(g, n, List.of()).orElseThrow();
    ProblemBuilder.Ok ok = (ProblemBuilder.Ok) ProblemBuilder.build(hw, a, geo);
    TileProblem p = ok.problem();
    LayerPlanner.Links links = LayerPlanner.Links.of(hw, a).orElseThrow();
    SystolicTiler tiler = new SystolicTiler(hw, a, p, links);
    LayerPlanner planner = new LayerPlanner(hw, null);
    OpPattern pattern = ok.pattern();
    long best = Long.MAX_VALUE;
    for (int k : p.allowedSizes(Dim.K)) {
      for (int c : p.allowedSizes(Dim.C)) {
        for (int y : p.allowedSizes(Dim.OY)) {
          for (int x : p.allowedSizes(Dim.OX)) {
            int[] s = {k, c, y, x};
            if (tiler.sram(s)[0] > p.memories().l1Bytes()
                || !io.kiln.plan.tiling.Footprint.of(p, s).fits(p.memories())) {
              continue;
            }
            LayerPlan lp = planner.schedule(n, List.of(), unit, geo, pattern, p, Tiling.of(p, s), links);
            best = Math.min(best, lp.totalCycles());
          }
        }
      }
    }
    assertThat(SystolicParameters.of(hw, a).rows()).isEqualTo(8);
    return best;
  }
}
