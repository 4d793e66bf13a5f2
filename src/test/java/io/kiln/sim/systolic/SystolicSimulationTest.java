package io.kiln.sim.systolic;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.sim.CallModels;
import io.kiln.sim.LayerSweep;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.target.Accelerator;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kiln simulate --target systolic:...}: every MLPerf Tiny model, under the implicit and
 * the explicit im2col, simulates with outputs byte-identical to the interpreter on the lowered
 * graph, and the systolic units' jobs are timed by the engine.
 */
class SystolicSimulationTest {
  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String m : new String[] {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"}) {
      for (String t : new String[] {"systolic", "systolic:im2col=explicit",
          "systolic:rows=32,cols=16,word=2,sram=4MiB,tiles=2"}) {
        all.add(Arguments.of(m, t));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void outputsMatchKilnRunTarget(String model, String target) {
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(
        SharedModels.file("mlperf-tiny/" + model + ".tflite").toString()));
    var hw = Targets.resolve(target);
    Planner.Planned planned = Planner.plan(g, hw, new Planner.Options(Policy.named("first"), false, SolverKind.BNB));
    List<Tensor> inputs = LayerSweep.inputs(planned.plan().graph(), 5);
    assertThat(CallModels.DEFAULT.forUnit(hw.accelerators().get(0))).isInstanceOf(SystolicCallModel.class);
    Simulation s = Simulator.simulate(planned.plan(), planned.costs(),
        Simulator.CpuTiming.of(planned.costs()), inputs, true, "first");
    assertThat(s.check().orElseThrow().firstMismatch()).isEmpty();
    List<Tensor> want = new Interpreter(planned.lowering().graph()).run(inputs);
    for (int i = 0; i < want.size(); i++) {
      assertThat(s.outputs().get(i).toBytes()).isEqualTo(want.get(i).toBytes());
    }
    // Every systolic layer's compute is the engine's timing of its jobs.
    for (int i = 0; i < planned.plan().steps().size(); i++) {
      if (planned.plan().steps().get(i) instanceof Step.AcceleratorCall c
          && c.unit().kind() == Accelerator.Kind.SYSTOLIC) {
        SystolicEngine e = SystolicCallModel.engine(hw, c);
        long want2 = c.jobs().stream()
            .mapToLong(j -> e.time(GemmTile.of(c.geometry().shape(), j, 1)).cycles()).sum();
        assertThat(s.layers().get(i).computeCycles()).isEqualTo(want2);
      }
    }
  }
}
