package io.kiln.plan.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.schedule.LayerPlanner;
import io.kiln.plan.schedule.PlanChecker;
import io.kiln.plan.schedule.Unit;
import io.kiln.plan.tiling.BranchAndBoundSolver;
import io.kiln.plan.lower.Ternarize;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.PlanGraphs;
import io.kiln.testing.TestTargets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Dispatch plus layer planning: every layer planned and checked, fusions that do not fit undone. */
class PlannedDispatchTest {

  static PlannedDispatch plan(Graph g, HardwareDescription hw, Policy policy, boolean ternarize) {
    return PlannedDispatch.of(g, hw, new Dispatcher.Options(policy, ternarize, null),
        new LayerPlanner(hw, new BranchAndBoundSolver()));
  }

  @ParameterizedTest
  @CsvSource({"cpu,first,false", "diana,digital,false", "diana,analog,true", "diana,mixed,true", "dla,first,false",
      "'dla:pe=64,sram=512KiB,par=input',first,false"})
  void everyLayerOfEveryModelHasACheckedPlanOnItsUnit(String target, String policy, boolean ternarize) {
    HardwareDescription hw = Targets.resolve(target);
    for (String model : MlperfDispatchTest.MODELS) {
      Graph g = MlperfDispatchTest.load(model);
      if (ternarize) {
        g = Ternarize.apply(g).graph();
      }
      PlannedDispatch pd = plan(g, hw, Policy.named(policy), ternarize);
      for (DispatchResult.LayerDispatch l : pd.dispatch().layers()) {
        String where = model + " #" + l.index() + " " + l.node().op().opName() + " on " + target;
        if (l.fused()) {
          assertThat(pd.plans()).as(where).doesNotContainKey(l.index());
          assertThat(pd.plans().get(l.fusedInto().getAsInt()).fused()).as(where).contains(l.node());
          continue;
        }
        LayerPlan p = pd.plans().get(l.index());
        assertThat(p).as(where).isNotNull();
        assertThat(p.unit().name()).as(where).isEqualTo(l.unit());
        assertThat(PlanChecker.check(p)).as(where).isEmpty();
        if (p.unit() instanceof Unit.AcceleratorUnit) {
          assertThat(p.tiled()).as(where).isTrue();
        }
      }
    }
  }

  @Test
  void resnetOnDianaMixedRunsEveryResidualAddInsideAnAnalogConv() {
    Graph g = Ternarize.apply(MlperfDispatchTest.load("pretrainedResnet_quant")).graph();
    PlannedDispatch pd = plan(g, Targets.resolve("diana"), Policy.MIXED, true);
    var adds = pd.dispatch().layers().stream().filter(l -> l.node().op() instanceof Op.Add).toList();
    assertThat(adds).hasSize(3).allSatisfy(l -> {
      assertThat(l.fused()).isTrue();
      assertThat(l.unit()).isEqualTo("analog");
    });
    var pool = pd.dispatch().layers().stream().filter(l -> l.node().op() instanceof Op.AveragePool2D)
        .findFirst().orElseThrow();
    assertThat(pool.fusedInto()).isEqualTo(adds.get(2).fusedInto());
    assertThat(pd.dispatch().layers().get(adds.get(2).fusedInto().getAsInt()).layer().orElseThrow().pattern())
        .isEqualTo("conv2d_bias_requant_add_act_pool");
  }

  @Test
  void aFusionNoTilingFitsIsUndoneAndTheAddRunsApartWithTheReason() {
    PlanGraphs p = new PlanGraphs(11);
    int x = p.input(16, 16, 16, 0.5);
    int skip = p.input(16, 16, 16, 0.25);
    int y = p.conv(x, 16, 1, 1, 0, 0.25, 0.125, Op.Activation.NONE);
    Graph g = p.build(p.add(y, skip, 0.25, Op.Activation.RELU));
    // The smallest L1 where the conv alone still plans; the skip tile then no longer fits.
    long lo = 1;
    long hi = 1 << 20;
    while (hi - lo > 1) {
      long mid = (lo + hi) / 2;
      HardwareDescription hw = TestTargets.withBudgets(Targets.resolve("diana"), mid, 144 * 1024);
      boolean fits = new LayerPlanner(hw, new BranchAndBoundSolver()).plan(g, g.nodes().get(0),
          new Unit.AcceleratorUnit(hw.accelerator("analog").orElseThrow())) instanceof LayerPlan;
      if (fits) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    HardwareDescription hw = TestTargets.withBudgets(Targets.resolve("diana"), hi, 144 * 1024);
    PlannedDispatch pd = plan(g, hw, Policy.ANALOG, true);
    var conv = pd.dispatch().layers().get(0);
    var add = pd.dispatch().layers().get(1);
    assertThat(conv.unit()).isEqualTo("analog");
    assertThat(conv.layer().orElseThrow().fused()).isEmpty();
    assertThat(pd.plans().get(0).fused()).isEmpty();
    assertThat(add.fused()).isFalse();
    assertThat(add.unit()).isEqualTo("host");
    assertThat(pd.plans().get(1).tiled()).isFalse();
    assertThat(add.rejections()).filteredOn(r -> r.unit().equals("analog")).singleElement()
        .satisfies(r -> assertThat(r.reason()).contains("not fused into %" + g.nodes().get(0).output()
            + " (conv2d_bias_requant_add_act) on diana.analog: no tiling fits: ").contains("second operand"));
  }

  @Test
  void fusedIntermediatesStayOnChipAndTheArenaFollowsTheFusedOrder() {
    Graph g = Ternarize.apply(MlperfDispatchTest.load("pretrainedResnet_quant")).graph();
    HardwareDescription hw = Targets.resolve("diana");
    PlannedDispatch pd = plan(g, hw, Policy.ANALOG, true);
    var schedule = pd.schedule(hw);
    var fusedPlans = schedule.layers().stream().filter(p -> !p.fused().isEmpty()).toList();
    assertThat(fusedPlans).as("ResNet8's residual Adds fuse on analog").hasSize(3);
    // Executed as planned, nothing of ResNet8 beats three live 32x32x16 tensors (a block's input,
    // its skip and its output), which is also the unfused graph's peak.
    assertThat(schedule.arenaBytes()).isEqualTo(3 * 32 * 32 * 16)
        .isLessThanOrEqualTo(io.kiln.plan.schedule.NetworkSchedule.l2ArenaBytes(g));
    // A residual block squeezed so that the conv's own output would be the peak: fusing it away
    // must shrink the arena below the unfused one.
    Graph tail = PlanGraphs.convAddChain();
    PlannedDispatch fused = plan(tail, hw, Policy.ANALOG, true);
    long unfused = io.kiln.plan.schedule.NetworkSchedule.l2ArenaBytes(tail);
    assertThat(fused.schedule(hw).layers()).anyMatch(p -> !p.fused().isEmpty());
    assertThat(fused.schedule(hw).arenaBytes()).isLessThan(unfused);
  }

  @Test
  void aLayerNoTilingFitsOnItsUnitGoesToTheNextAcceptingUnitBeforeTheCpu() {
    // DIANA with a 1 KiB L1: the analog array cannot split C, so ResNet8's deeper convs find no
    // analog tiling, while the digital array (which splits C) still tiles some of them.
    HardwareDescription hw = TestTargets.withMemory(Targets.resolve("diana"), "l1", 1024);
    Graph g = Ternarize.apply(MlperfDispatchTest.load("pretrainedResnet_quant")).graph();
    PlannedDispatch pd = plan(g, hw, Policy.ANALOG, true);
    var moved = pd.dispatch().layers().stream()
        .filter(l -> l.rejections().stream().anyMatch(r -> r.unit().equals("analog")
            && r.reason().startsWith("diana.analog: no tiling fits")))
        .toList();
    assertThat(moved).anyMatch(l -> l.unit().equals("digital"));
    for (var l : moved) {
      assertThat(pd.plans().get(l.index()).unit().name()).isEqualTo(l.unit());
      if (!l.unit().equals("digital")) {
        // Only when digital cannot tile it either does the CPU run it, and it says why.
        assertThat(l.rejections()).anyMatch(r -> r.unit().equals("digital")
            && r.reason().startsWith("diana.digital: no tiling fits"));
      }
    }
  }
}
