package io.kiln.plan.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every MLPerf Tiny model plans on the presets, and every plan passes the independent checker. */
class PlannerMlperfTest {
  static final String[] MODELS = {"kws_ref_model.tflite", "vww_96_int8.tflite", "pretrainedResnet_quant.tflite",
      "ad01_int8.tflite"};
  static final String[] TARGETS = {"dla", "dla:pe=128,sram=1MiB,par=input,dw=native",
      "dla:pe=64,sram=512KiB,par=output,dw=emulated", "dla:pe=128,sram=256MiB,par=input,dw=unsupported", "diana"};

  static Stream<Arguments> cases() {
    return Stream.of(MODELS).flatMap(m -> Stream.of(TARGETS).map(t -> Arguments.of(m, t)));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void plansCheck(String model, String target) {
    Assumptions.assumeTrue(SharedModels.available(), "shared models absent");
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(SharedModels.file("mlperf-tiny/" + model).toString()));
    HardwareDescription hw = Targets.resolve(target);
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    assertThat(p.plan().steps()).hasSize(p.costs().schedule().layers().size());
    // The analytic cost model answers per step what the schedule totals: one source of costs.
    long cycles = 0;
    long macs = 0;
    for (Step s : p.plan().steps()) {
      CostModel.StepCost c = p.costs().cost(p.plan(), s);
      cycles += c.cycles();
      macs += c.macs();
      assertThat(c.cycles()).isNotNegative();
    }
    assertThat(cycles).isEqualTo(p.costs().schedule().totalCycles());
    assertThat(macs).isEqualTo(p.costs().schedule().layers().stream().mapToLong(l -> l.macs()).sum());
  }
}
