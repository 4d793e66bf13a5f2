package io.kiln.plan.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.lower.Ternarize;
import io.kiln.plan.tiling.BranchAndBoundSolver;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import io.kiln.testing.TestTargets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The real MLPerf Tiny ResNet8's residual Adds: standalone on dla's single-point processor, and
 * fused into the preceding convolution's output stage on DIANA's analog array (ternarized).
 */
class ResnetElementwisePlanTest {

  static Graph resnet() {
    return Pipeline.DEFAULT.apply(ModelSource.load(
        SharedModels.file("mlperf-tiny/pretrainedResnet_quant.tflite").toString()));
  }

  static List<Node> adds(Graph g) {
    return g.nodes().stream().filter(n -> n.op() instanceof Op.Add).toList();
  }

  static long bytes(LayerPlan p, Transfer.Kind kind) {
    return p.transfers().stream().filter(t -> t.kind() == kind).mapToLong(Transfer::bytes).sum();
  }

  @Test
  void everyAddPlansOnDlaWithBothOperandsStreamedAndTheArrayBoundCost() {
    Graph g = resnet();
    HardwareDescription hw = Targets.resolve("dla");
    Accelerator dla = hw.accelerators().get(0);
    LayerPlanner planner = new LayerPlanner(hw, new BranchAndBoundSolver());
    assertThat(adds(g)).hasSize(3);
    for (Node add : adds(g)) {
      LayerPlan p = (LayerPlan) planner.plan(g, add, new Unit.AcceleratorUnit(dla));
      assertThat(PlanChecker.check(p)).isEmpty();
      long tensor = g.output(add).type().bytes();
      assertThat(bytes(p, Transfer.Kind.INPUT)).isEqualTo(tensor);
      assertThat(bytes(p, Transfer.Kind.OPERAND)).isEqualTo(tensor);
      assertThat(bytes(p, Transfer.Kind.OUTPUT)).isEqualTo(tensor);
      assertThat(bytes(p, Transfer.Kind.WEIGHTS)).isZero();
      assertThat(p.macs()).isZero();
      // One call: channels unrolled on the 64 PEs (rounded up), rows and columns in time.
      int[] d = g.output(add).shape().dims();
      assertThat(p.calls()).singleElement().satisfies(c -> assertThat(c.cycles())
          .isEqualTo((long) ((d[3] + 63) / 64) * d[1] * d[2] + dla.perCallOverheadCycles()));
      assertThat(p.l1Bytes()).isEqualTo(3 * tensor);
    }
  }

  @Test
  void aSmallSramSplitsAddsOverChannelsOnlyAndATinyOneRefusesNamingTheOperand() {
    Graph g = resnet();
    Node first = adds(g).get(0); // [1,32,32,16]
    HardwareDescription small = TestTargets.withBudgets(Targets.resolve("dla"), 20 * 1024, 0);
    LayerPlan p = (LayerPlan) new LayerPlanner(small, new BranchAndBoundSolver()).plan(g, first,
        new Unit.AcceleratorUnit(small.accelerators().get(0)));
    assertThat(PlanChecker.check(p)).isEmpty();
    assertThat(p.calls().size()).isGreaterThan(1);
    assertThat(p.tiling().tileOY()).isEqualTo(32);
    assertThat(p.tiling().tileOX()).isEqualTo(32);
    assertThat(p.l1Bytes()).isLessThanOrEqualTo(20 * 1024);
    HardwareDescription tiny = TestTargets.withBudgets(Targets.resolve("dla"), 4096, 0);
    LayerPlanResult r = new LayerPlanner(tiny, new BranchAndBoundSolver()).plan(g, first,
        new Unit.AcceleratorUnit(tiny.accelerators().get(0)));
    assertThat(r).isInstanceOfSatisfying(Unplannable.class, u -> assertThat(u.reason())
        .contains("even the smallest tile (K=1, OY=32, OX=32)").contains("second operand 2,048"));
  }

  @Test
  void convPlusResidualAddIsOneAnalogCallWithTheSkipAsAnExtraTile() {
    Graph g = Ternarize.apply(resnet()).graph();
    HardwareDescription hw = Targets.resolve("diana");
    Unit.AcceleratorUnit analog = new Unit.AcceleratorUnit(hw.accelerator("analog").orElseThrow());
    LayerPlanner planner = new LayerPlanner(hw, new BranchAndBoundSolver());
    Node add = adds(g).get(0);
    Node conv = g.nodes().get(g.nodes().indexOf(add) - 1);
    assertThat(conv.op()).isInstanceOf(Op.Conv2D.class);
    assertThat(g.input(add, 1).id()).isEqualTo(conv.output());
    LayerPlan alone = (LayerPlan) planner.plan(g, conv, analog);
    LayerPlan fused = (LayerPlan) planner.plan(g, conv, List.of(add), analog);
    assertThat(PlanChecker.check(fused)).isEmpty();
    assertThat(fused.fused()).containsExactly(add);
    long skip = g.input(add, 0).type().bytes();
    assertThat(bytes(fused, Transfer.Kind.OPERAND)).isEqualTo(skip);
    assertThat(bytes(fused, Transfer.Kind.OUTPUT)).isEqualTo(g.output(add).type().bytes());
    // Both fit L1 whole (K16 C16 OY32 OX32): the skip tile is the only extra L1, and the add is
    // one output-stage pass per array step of outputs (K on 512 columns; rows and columns one at
    // a time); its DMA is exposed: the NHWC skip tensor moves into the CHW tile one channel at a
    // time, each channel one 2-D copy (the tile is the tensor's full width), spread over the
    // engine's channels.
    assertThat(alone.calls()).hasSize(1);
    assertThat(fused.calls()).hasSize(1);
    assertThat(fused.l1Bytes() - alone.l1Bytes()).isEqualTo(skip);
    int[] d = g.output(add).shape().dims();
    assertThat(fused.computeCycles() - alone.computeCycles()).isEqualTo((long) d[1] * d[2]);
    var dma = hw.dmas().get(0);
    // The per-channel copies spread over the engine's channels.
    long commands = d[3];
    long lanes = Math.min(commands, dma.channels());
    assertThat(fused.totalCycles() - alone.totalCycles()).isEqualTo((long) d[1] * d[2]
        + (commands + lanes - 1) / lanes * dma.setupCycles()
        + (long) Math.ceil(skip / (dma.bandwidthBytesPerCycle() * lanes)));
    assertThat(fused.totalCycles()).isGreaterThan(alone.totalCycles());
    assertThat(fused.macs()).isEqualTo(alone.macs());
  }

  @Test
  void theLastBlockFusesConvAddAndThePoolingAndWritesOnlyThePooledVector() {
    Graph g = Ternarize.apply(resnet()).graph();
    HardwareDescription hw = Targets.resolve("diana");
    Unit.AcceleratorUnit analog = new Unit.AcceleratorUnit(hw.accelerator("analog").orElseThrow());
    Node pool = g.nodes().stream().filter(n -> n.op() instanceof Op.AveragePool2D).findFirst().orElseThrow();
    int at = g.nodes().indexOf(pool);
    Node add = g.nodes().get(at - 1);
    Node conv = g.nodes().get(at - 2);
    LayerPlan p = (LayerPlan) new LayerPlanner(hw, new BranchAndBoundSolver()).plan(g, conv, List.of(add, pool),
        analog);
    assertThat(PlanChecker.check(p)).isEmpty();
    assertThat(p.tiling().tileOY()).isEqualTo(8);
    assertThat(p.tiling().tileOX()).isEqualTo(8);
    assertThat(bytes(p, Transfer.Kind.OUTPUT)).isEqualTo(64);
    assertThat(bytes(p, Transfer.Kind.OPERAND)).isEqualTo(8 * 8 * 64);
  }
}
