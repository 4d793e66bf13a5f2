package io.kiln.plan.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.plan.tiling.BranchAndBoundSolver;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Plans every conv/depthwise/FC layer of the MLPerf Tiny int8 models on every preset unit. */
class LayerPlannerModelsTest {
  private static final List<String> MODELS = List.of("ad01_int8.tflite", "kws_ref_model.tflite",
      "pretrainedResnet_quant.tflite", "vww_96_int8.tflite");
  private static final Map<String, Graph> GRAPHS = new ConcurrentHashMap<>();

  static Graph model(String file) {
    SharedModels.root();
    return GRAPHS.computeIfAbsent(file, f -> TfliteImporter.load(SharedModels.file("mlperf-tiny").resolve(f)));
  }

  static boolean layer(Node n) {
    return n.op() instanceof Op.Conv2D || n.op() instanceof Op.DepthwiseConv2D || n.op() instanceof Op.FullyConnected;
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "diana", "dla", "dla:pe=64,sram=512KiB", "dla:pe=128,sram=1MiB,par=input",
      "dla:pe=128,sram=256MiB,par=output", "dla:pe=64,sram=1MiB,par=input"})
  void everyLayerOfEveryModelPlansAndPassesTheChecker(String target) {
    HardwareDescription hw = Targets.resolve(target);
    LayerPlanner planner = new LayerPlanner(hw, new BranchAndBoundSolver());
    List<Unit> units = new ArrayList<>();
    units.add(new Unit.CpuUnit(hw.cpu()));
    hw.accelerators().forEach(a -> units.add(new Unit.AcceleratorUnit(a)));
    int planned = 0;
    for (String m : MODELS) {
      Graph g = model(m);
      List<LayerPlan> cpuPlans = new ArrayList<>();
      for (Node n : g.nodes()) {
        LayerPlanResult cpu = planner.plan(g, n, units.get(0));
        assertThat(cpu).isInstanceOf(LayerPlan.class);
        cpuPlans.add((LayerPlan) cpu);
        if (!layer(n)) {
          continue;
        }
        for (Unit u : units) {
          LayerPlanResult r = planner.plan(g, n, u);
          switch (r) {
            case LayerPlan p -> {
              assertThat(PlanChecker.check(p)).as(m + " " + n.op().opName() + " on " + u.name()).isEmpty();
              assertThat(p.totalCycles()).isPositive();
              assertThat(p.macUtilization()).isBetween(0.0, 1.0);
              if (p.tiled()) {
                assertThat(p.dmaBytes()).isPositive();
                assertThat(p.l1Bytes()).isLessThanOrEqualTo(hw.memory(
                    ((Unit.AcceleratorUnit) u).accelerator().l1()).orElseThrow().sizeBytes());
              }
              planned++;
            }
            case Unplannable x -> {
              // Only the analog array may refuse (its C·FY·FX must fit 1152 rows unsplit) or an
              // accelerator without that operator.
              assertThat(x.reason()).isNotBlank();
              assertThat(u).isInstanceOf(Unit.AcceleratorUnit.class);
            }
          }
        }
      }
      NetworkSchedule ns = NetworkSchedule.of(hw, g, cpuPlans);
      assertThat(ns.arenaBytes()).isPositive();
      assertThat(ns.totalCycles()).isPositive();
      assertThat(ns.weightBytesByMemory().values().stream().mapToLong(Long::longValue).sum()).isPositive();
    }
    assertThat(planned).isGreaterThan(50);
  }

  @org.junit.jupiter.api.Test
  void dianaDigitalTilesEveryConvAndAnalogHoldsTernaryWeightsIn2Bits() {
    HardwareDescription hw = Targets.resolve("diana");
    LayerPlanner planner = new LayerPlanner(hw, new BranchAndBoundSolver());
    Accelerator digital = hw.accelerator("digital").orElseThrow();
    Accelerator analog = hw.accelerator("analog").orElseThrow();
    Graph g = model("pretrainedResnet_quant.tflite");
    int analogPlans = 0;
    for (Node n : g.nodes()) {
      if (n.op() instanceof Op.Conv2D) {
        LayerPlanResult d = planner.plan(g, n, new Unit.AcceleratorUnit(digital));
        assertThat(d).as("digital " + n).isInstanceOf(LayerPlan.class);
        assertThat(((LayerPlan) d).problem().sizes().weightBits()).isEqualTo(8);
        LayerPlanResult a = planner.plan(g, n, new Unit.AcceleratorUnit(analog));
        if (a instanceof LayerPlan p) {
          assertThat(p.problem().sizes().weightBits()).isEqualTo(2);
          assertThat(PlanChecker.check(p)).isEmpty();
          analogPlans++;
        } else {
          assertThat(((Unplannable) a).reason()).contains("analog");
        }
      }
    }
    assertThat(analogPlans).isPositive();
  }
}
