package io.kiln.sim.dla;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.isa.dla.Opcode;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The instruction-set simulator executes the generated command streams of every DLA call: the
 * four MLPerf Tiny models and the built-ins on six DLA variants come out byte-identical to the
 * interpreter on the lowered graph ({@code kiln run --target}), and the counters add up.
 */
class DlaIssTest {
  static final String[] MODELS = {"mlperf-tiny/kws_ref_model.tflite", "mlperf-tiny/vww_96_int8.tflite",
      "mlperf-tiny/pretrainedResnet_quant.tflite", "mlperf-tiny/ad01_int8.tflite", "builtin:ds_cnn",
      "builtin:resnet"};
  static final String[] VARIANTS = {"dla", "dla:pe=128,sram=1MiB,par=input,dw=native",
      "dla:pe=64,sram=512KiB,par=output,dw=emulated", "dla:pe=128,sram=256MiB,par=input,dw=unsupported",
      "dla:pe=64,sram=1MiB,par=input,dw=emulated", "dla:pe=128,sram=512KiB,par=output,dw=native"};

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String m : MODELS) {
      for (String t : VARIANTS) {
        all.add(Arguments.of(m, t));
      }
    }
    return all.stream();
  }

  static Graph load(String model) {
    String src = model.startsWith("builtin:") ? model : SharedModels.file(model).toString();
    return Pipeline.DEFAULT.apply(ModelSource.load(src));
  }

  static List<Tensor> inputs(Graph g, long seed) {
    return io.kiln.sim.SeededInputs.of(g, seed);
  }

  record Run(Simulation sim, DlaStats stats, Planner.Planned planned) {}

  static Run simulate(Graph g, String target) {
    HardwareDescription hw = Targets.resolve(target);
    Planner.Planned planned = Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
    DlaStats stats = new DlaStats(hw.accelerators().get(0).peakMacsPerCycle());
    Simulation s = Simulator.simulate(planned.plan(), planned.costs(), Simulator.CpuTiming.of(planned.costs()),
        DlaCallModel.models(stats), inputs(planned.plan().graph(), 5), true, "test");
    return new Run(s, stats, planned);
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void streamsExecuteBitExactly(String model, String target) {
    Run r = simulate(load(model), target);
    assertThat(r.sim().check().orElseThrow().firstMismatch()).isEmpty();
    List<Tensor> want = new Interpreter(r.planned().lowering().graph()).run(inputs(r.planned().plan().graph(), 5));
    for (int i = 0; i < want.size(); i++) {
      assertThat(r.sim().outputs().get(i).toBytes()).isEqualTo(want.get(i).toBytes());
    }
    assertThat(r.stats().opcodes()).containsKey(Opcode.OP_DMA_READ);
    assertThat(r.stats().opcodes().get(Opcode.SYNC).count()).isPositive();
    assertThat(r.stats().cycles(SubgraphKind.CONV) + r.stats().cycles(SubgraphKind.DEPTH)).isPositive();
    assertThat(r.stats().utilization()).isBetween(0.0, 1.0);
    assertThat(r.stats().streamBytes()).isPositive();
  }

  @Test
  void emulatedDepthwiseRunsOneConvAChannelAndCostsMoreThanNative() {
    Graph g = load("mlperf-tiny/vww_96_int8.tflite");
    Run emulated = simulate(g, "dla:pe=64,sram=1MiB,par=output,dw=emulated");
    Run nativeDw = simulate(g, "dla:pe=64,sram=1MiB,par=output,dw=native");
    assertThat(emulated.stats().opcodes()).doesNotContainKey(Opcode.OP_DEPTH_CONV);
    assertThat(nativeDw.stats().opcodes().get(Opcode.OP_DEPTH_CONV).count()).isPositive();
    assertThat(emulated.stats().opcodes().get(Opcode.OP_CONV).count())
        .isGreaterThan(nativeDw.stats().opcodes().get(Opcode.OP_CONV).count()
            + nativeDw.stats().opcodes().get(Opcode.OP_DEPTH_CONV).count());
    assertThat(emulated.stats().cycles(SubgraphKind.DEPTH)).isGreaterThan(nativeDw.stats().cycles(SubgraphKind.DEPTH));
  }
}
