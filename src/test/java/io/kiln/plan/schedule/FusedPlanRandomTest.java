package io.kiln.plan.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.plan.tiling.BranchAndBoundSolver;
import io.kiln.plan.tiling.TileConstraint;
import io.kiln.plan.tiling.TileProblem;
import io.kiln.plan.tiling.Tiling;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.PlanGraphs;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random element-wise, activation, pooling and fused conv geometries × memory budgets
 * through the planner and the independent plan checker; then plans broken on purpose, which the
 * checker must catch.
 */
class FusedPlanRandomTest {
  static final List<HardwareDescription> BASES = List.of(Targets.resolve("diana"), Targets.resolve("dla"),
      Targets.resolve("dla:pe=64,sram=512KiB,par=input"));

  /** A random layer: the graph, the node planned and the nodes fused into it. */
  record Case(Graph g, Node node, List<Node> fused, String what) {}

  static Case random(Random r) {
    PlanGraphs p = new PlanGraphs(r.nextLong());
    int h = 1 + r.nextInt(12);
    int w = 1 + r.nextInt(12);
    int c = 1 + r.nextInt(40);
    switch (r.nextInt(5)) {
      case 0 -> {
        boolean image = r.nextBoolean();
        Shape s = image ? Shape.of(1, h, w, c) : Shape.of(h, c);
        int a = p.input(s, 0.5);
        int b = p.input(s, 0.25);
        int out = r.nextBoolean() ? p.add(a, b, 0.3, Op.Activation.RELU) : p.mul(a, b, 0.3, Op.Activation.NONE);
        Graph g = p.build(out);
        return new Case(g, g.nodes().get(0), List.of(), "element-wise " + s);
      }
      case 1 -> {
        Op op = List.<Op>of(new Op.Relu(), new Op.Relu6(), new Op.Logistic(), new Op.Tanh()).get(r.nextInt(4));
        Graph g = p.build(p.unary(op, p.input(h, w, c, 0.5), 0.5));
        return new Case(g, g.nodes().get(0), List.of(), op.opName() + " " + h + "x" + w + "x" + c);
      }
      case 2 -> {
        int f = 1 + r.nextInt(Math.min(h, w));
        int stride = 1 + r.nextInt(f);
        int pad = f > 2 && r.nextBoolean() ? 1 : 0;
        Graph g = p.build(p.pool(p.input(h, w, c, 0.5), r.nextBoolean(), f, stride, new Op.Pads(pad, pad, pad, pad)));
        return new Case(g, g.nodes().get(0), List.of(), "pool " + f + "/" + stride);
      }
      default -> {
        int f = 1 + 2 * r.nextInt(2);
        int k = 1 + r.nextInt(40);
        int in = p.input(h + 4, w + 4, 1 + r.nextInt(24), 0.5);
        int y = p.conv(in, k, f, 1 + r.nextInt(2), f / 2, 0.25, 0.125, Op.Activation.NONE);
        int[] d = p.type(y).shape().dims();
        boolean add = r.nextBoolean();
        boolean pool = !add || r.nextBoolean();
        int last = y;
        if (add) {
          int skip = p.input(d[1], d[2], d[3], 0.25);
          last = r.nextBoolean() ? p.add(last, skip, 0.25, Op.Activation.RELU) : p.add(skip, last, 0.25,
              Op.Activation.NONE);
        }
        int pf = 1 + r.nextInt(Math.min(3, Math.min(d[1], d[2])));
        if (pool) {
          last = p.pool(last, r.nextBoolean(), pf, pf, Op.Pads.NONE);
        }
        Graph g = p.build(last);
        return new Case(g, g.nodes().get(0), g.nodes().subList(1, g.nodes().size()),
            "conv " + d[1] + "x" + d[2] + "x" + d[3] + (add ? " + add" : "") + (pool ? " + pool " + pf : ""));
      }
    }
  }

  @Test
  void randomLayersAndBudgetsPassThePlanChecker() {
    Random r = new Random(20250611L);
    int plans = 0;
    int refused = 0;
    int fusedPlans = 0;
    int tiled = 0;
    for (int i = 0; i < 1000; i++) {
      Case c = random(r);
      HardwareDescription base = BASES.get(r.nextInt(BASES.size()));
      HardwareDescription hw = LayerPlannerRandomTest.withBudgets(base, 48 + r.nextInt(12 * 1024),
          64 + r.nextInt(8192));
      LayerPlanner planner = new LayerPlanner(hw, new BranchAndBoundSolver());
      for (Accelerator a : hw.accelerators()) {
        LayerPlanResult res = planner.plan(c.g(), c.node(), c.fused(), new Unit.AcceleratorUnit(a));
        String where = "case " + i + " (" + c.what() + ") on " + hw.name() + "." + a.name();
        switch (res) {
          case LayerPlan p -> {
            assertThat(PlanChecker.check(p)).as(where + ": " + p.tiling()).isEmpty();
            // Every byte of the output (pooled, after the fused stages) is written, once.
            long out = c.g().output(c.fused().isEmpty() ? c.node() : c.fused().getLast()).type().bytes();
            assertThat(bytes(p, Transfer.Kind.OUTPUT)).as(where).isEqualTo(out);
            plans++;
            fusedPlans += c.fused().isEmpty() ? 0 : 1;
            tiled += p.calls().size() > 1 ? 1 : 0;
          }
          case Unplannable u -> {
            assertThat(u.reason()).as(where).isNotBlank();
            refused++;
          }
        }
      }
    }
    System.out.printf("element-wise/pool/fused random plans: %d planned (%d fused, %d tiled), %d refused%n",
        plans, fusedPlans, tiled, refused);
    assertThat(plans).isGreaterThan(700);
    assertThat(fusedPlans).isGreaterThan(200);
    assertThat(tiled).isGreaterThan(150);
    assertThat(refused).isPositive();
  }

  static long bytes(LayerPlan p, Transfer.Kind kind) {
    return p.transfers().stream().filter(t -> t.kind() == kind).mapToLong(Transfer::bytes).sum();
  }

  /** conv 8x8x16 → residual Add → 2x2 max pooling, planned on dla. */
  static Case convAddPool() {
    PlanGraphs p = new PlanGraphs(3);
    int x = p.input(8, 8, 16, 0.5);
    int y = p.conv(x, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.NONE);
    int skip = p.input(8, 8, 16, 0.25);
    Graph g = p.build(p.pool(p.add(y, skip, 0.25, Op.Activation.RELU), true, 2, 2, Op.Pads.NONE));
    return new Case(g, g.nodes().get(0), g.nodes().subList(1, 3), "conv + add + pool");
  }

  @Test
  void theCheckerCatchesAMissingOperandAndAWrongPooledWriteBack() {
    Case c = convAddPool();
    HardwareDescription hw = LayerPlannerRandomTest.withBudgets(Targets.resolve("diana"), 2048, 64 * 1024);
    Accelerator digital = hw.accelerator("digital").orElseThrow();
    LayerPlan p = (LayerPlan) new LayerPlanner(hw, new BranchAndBoundSolver()).plan(c.g(), c.node(), c.fused(),
        new Unit.AcceleratorUnit(digital));
    assertThat(PlanChecker.check(p)).isEmpty();
    assertThat(p.calls().size()).isGreaterThan(1);

    List<Transfer> noOperand = p.transfers().stream().filter(t -> t.kind() != Transfer.Kind.OPERAND).toList();
    assertThat(PlanChecker.check(withTransfers(p, noOperand)))
        .anyMatch(e -> e.contains("finishes its outputs without their second operand"));

    List<Transfer> unpooled = new ArrayList<>();
    for (Transfer t : p.transfers()) {
      unpooled.add(t.kind() != Transfer.Kind.OUTPUT ? t : new Transfer(t.step(), t.from(), t.to(), t.bytes() * 4,
          t.kind(), t.tileIndex(), t.cycles()));
    }
    assertThat(PlanChecker.check(withTransfers(p, unpooled))).anyMatch(e -> e.contains("B but its outputs are"));

    // Dropping the fused Add from the plan leaves an operand nobody reads.
    LayerPlan noAdd = p.withFused(List.of(c.fused().get(1)));
    assertThat(PlanChecker.check(noAdd)).anyMatch(e -> e.contains("a second operand is loaded for Conv2D"));
  }

  @Test
  void theCheckerCatchesATileThatCutsAPoolingWindow() {
    Case c = convAddPool();
    HardwareDescription hw = Targets.resolve("diana");
    Accelerator digital = hw.accelerator("digital").orElseThrow();
    Unit.AcceleratorUnit unit = new Unit.AcceleratorUnit(digital);
    LayerGeometry geo = LayerGeometry.of(c.g(), c.node(), c.fused()).orElseThrow();
    var ok = (ProblemBuilder.Ok) ProblemBuilder.build(hw, digital, geo);
    TileProblem p = ok.problem();
    assertThat(p.constraints()).contains(new TileConstraint.MultipleOf(io.kiln.plan.tiling.Dim.OY, 2));
    // A tiler that ignored the window constraint: 3 rows per tile cut the windows at rows 2..3.
    TileProblem loose = new TileProblem(p.layer(), p.sizes(), p.memories(),
        p.constraints().stream().filter(x -> !(x instanceof TileConstraint.MultipleOf)).toList(), p.objective());
    Tiling cut = Tiling.of(loose, new int[] {16, 16, 3, 8});
    LayerPlan bad = new LayerPlanner(hw, new BranchAndBoundSolver()).schedule(c.node(), c.fused(), unit, geo,
        ok.pattern(), loose, cut, LayerPlanner.Links.of(hw, digital).orElseThrow());
    assertThat(PlanChecker.check(bad)).anyMatch(e -> e.contains("tile rows 0..2 cut the pooling window 2..3"));
  }

  static LayerPlan withTransfers(LayerPlan p, List<Transfer> ts) {
    return p.withTransfers(ts);
  }
}
