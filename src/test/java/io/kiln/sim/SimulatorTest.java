package io.kiln.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.Action;
import io.kiln.plan.deploy.DeploymentPlan;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.schedule.Transfer;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.quantize.MlperfPtq;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import io.kiln.testing.TestTargets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The simulator executes the plan: every MLPerf Tiny model on every deployment target simulates
 * with outputs byte-identical to the interpreter on the lowered graph ({@code kiln run --target}),
 * a plan broken on purpose is caught at its first wrong byte with its layer and tile, and the
 * timing is what the description says.
 */
class SimulatorTest {
  static final String[] MODELS = {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"};
  static final String[] DLA = {"dla", "dla:pe=128,sram=1MiB,par=input,dw=native",
      "dla:pe=64,sram=512KiB,par=output,dw=emulated", "dla:pe=128,sram=256MiB,par=input,dw=unsupported"};

  static Stream<Arguments> int8Cases() {
    List<Arguments> all = new ArrayList<>();
    for (String m : MODELS) {
      for (String t : DLA) {
        all.add(Arguments.of(m, t, "first"));
      }
      all.add(Arguments.of(m, "diana", "digital"));
    }
    return all.stream();
  }

  static Simulation simulate(Graph g, HardwareDescription hw, Policy p, boolean ternarize, long seed) {
    Planner.Planned planned = Planner.plan(g, hw, new Planner.Options(p, ternarize, SolverKind.BNB));
    return simulate(planned.plan(), planned, seed);
  }

  static Simulation simulate(DeploymentPlan plan, Planner.Planned planned, long seed) {
    return Simulator.simulate(plan, planned.costs(), Simulator.CpuTiming.of(planned.costs()),
        LayerSweep.inputs(plan.graph(), seed), true, "test");
  }

  /** The outputs equal an independent run of the interpreter on the lowered graph. */
  static void assertMatchesLoweredGraph(Graph g, HardwareDescription hw, Policy p, boolean ternarize) {
    Planner.Planned planned = Planner.plan(g, hw, new Planner.Options(p, ternarize, SolverKind.BNB));
    Simulation s = simulate(planned.plan(), planned, 3);
    assertThat(s.check().orElseThrow().firstMismatch()).isEmpty();
    List<Tensor> want = new Interpreter(planned.lowering().graph()).run(LayerSweep.inputs(planned.plan().graph(), 3));
    assertThat(s.outputs()).hasSameSizeAs(want);
    for (int i = 0; i < want.size(); i++) {
      assertThat(s.outputs().get(i).toBytes()).isEqualTo(want.get(i).toBytes());
    }
    assertThat(s.cycles()).isPositive();
    assertThat(s.layers()).hasSize(planned.plan().steps().size());
  }

  @ParameterizedTest(name = "{0} on {1} {2}")
  @MethodSource("int8Cases")
  void int8ModelsMatchKilnRunTarget(String model, String target, String policy) {
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(SharedModels.file("mlperf-tiny/" + model + ".tflite").toString()));
    assertMatchesLoweredGraph(g, Targets.resolve(target), Policy.named(policy), false);
  }

  static Stream<Arguments> pow2Cases() {
    return Stream.of(MlperfPtq.KWS, MlperfPtq.VWW, MlperfPtq.RESNET, MlperfPtq.AD).flatMap(c ->
        Stream.of("digital", "analog", "mixed").map(p -> Arguments.of(c, p)));
  }

  @ParameterizedTest(name = "pow2 {0} on diana {1}")
  @MethodSource("pow2Cases")
  void pow2ModelsMatchOnDiana(MlperfPtq.Case c, String policy) {
    assertMatchesLoweredGraph(Pow2Models.of(c), Targets.resolve("diana"), Policy.named(policy),
        !policy.equals("digital"));
  }

  /** A DMA that fetches the input tile one byte off: caught at the first wrong output, with its layer and tile. */
  @Test
  void aBrokenDescriptorIsReportedAtItsFirstWrongByte() {
    Graph g = LayerSweep.graph(LayerSweep.Kind.CONV3X3, 16, 32, 24);
    HardwareDescription hw = TestTargets.withMemory(Targets.resolve("diana"), "l1", 8 << 10);
    Planner.Planned planned = Planner.plan(g, hw, new Planner.Options(Policy.DIGITAL, false, SolverKind.BNB));
    DeploymentPlan plan = planned.plan();
    Step.AcceleratorCall call = plan.calls().get(0);
    assertThat(call.jobs().size()).as("the layer is tiled").isGreaterThan(1);
    // Break the input load of the last tile: its source starts one byte (one channel) late.
    List<Action> program = new ArrayList<>(call.program());
    int broken = -1;
    for (int i = program.size() - 1; i >= 0 && broken < 0; i--) {
      if (program.get(i) instanceof Action.Start st && st.dma().kind() == Transfer.Kind.INPUT) {
        DmaDescriptor d = st.dma();
        program.set(i, new Action.Start(new DmaDescriptor(d.id(), d.kind(), d.tile(), d.engine(), d.src(),
            d.srcAddr() + 1, d.dst(), d.dstAddr(), d.run(), d.rows(), d.planes(), d.srcRowStride(),
            d.srcPlaneStride(), d.dstRowStride(), d.dstPlaneStride())));
        broken = d.tile();
      }
    }
    Step.AcceleratorCall bad = new Step.AcceleratorCall(call.node(), call.fused(), call.unit(), call.geometry(),
        call.tiling(), call.input(), call.output(), call.operand(), call.blob(), call.blobLayout(), call.buffers(),
        call.jobs(), program);
    List<Step> steps = new ArrayList<>(plan.steps());
    steps.set(steps.indexOf(call), bad);
    DeploymentPlan wrong = new DeploymentPlan(plan.hardware(), plan.graph(), plan.dispatch(), steps, plan.arena(),
        plan.values(), plan.blobs());
    Simulation good = simulate(plan, planned, 1);
    assertThat(good.check().orElseThrow().matched()).isTrue();
    Simulation s = simulate(wrong, planned, 1);
    Simulation.Check check = s.check().orElseThrow();
    assertThat(check.matched()).isFalse();
    assertThat(check.firstMismatch().orElseThrow())
        .contains("Conv2D %" + plan.graph().nodes().get(call.node()).output())
        .contains("tile " + broken)
        .contains("first wrong byte")
        .contains("element [");
  }

  /** A DMA outside its memory fails with the layer and tile that did it. */
  @Test
  void aDescriptorOutsideItsMemoryNamesLayerAndTile() {
    Graph g = LayerSweep.graph(LayerSweep.Kind.POINTWISE, 8, 8, 8);
    Planner.Planned planned = Planner.plan(g, Targets.resolve("dla"),
        new Planner.Options(Policy.FIRST, false, SolverKind.BNB));
    DeploymentPlan plan = planned.plan();
    Step.AcceleratorCall call = plan.calls().get(0);
    List<Action> program = new ArrayList<>(call.program());
    for (int i = 0; i < program.size(); i++) {
      if (program.get(i) instanceof Action.Start st && st.dma().kind() == Transfer.Kind.OUTPUT) {
        DmaDescriptor d = st.dma();
        program.set(i, new Action.Start(new DmaDescriptor(d.id(), d.kind(), d.tile(), d.engine(), d.src(),
            d.srcAddr(), d.dst(), d.dstAddr() + (1L << 40), d.run(), d.rows(), d.planes(), d.srcRowStride(),
            d.srcPlaneStride(), d.dstRowStride(), d.dstPlaneStride())));
        break;
      }
    }
    Step.AcceleratorCall bad = new Step.AcceleratorCall(call.node(), call.fused(), call.unit(), call.geometry(),
        call.tiling(), call.input(), call.output(), call.operand(), call.blob(), call.blobLayout(), call.buffers(),
        call.jobs(), program);
    List<Step> steps = new ArrayList<>(plan.steps());
    steps.set(steps.indexOf(call), bad);
    DeploymentPlan wrong = new DeploymentPlan(plan.hardware(), plan.graph(), plan.dispatch(), steps, plan.arena(),
        plan.values(), plan.blobs());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> simulate(wrong, planned, 1))
        .isInstanceOf(SimulationException.class)
        .hasMessageContaining("tile 0")
        .hasMessageContaining("output DMA write")
        .hasMessageContaining("of memory dram");
  }

  /** Double buffering overlaps transfers with compute only as far as the program's waits allow. */
  @Test
  void transfersOverlapComputeOnlyWhereTheProgramAllows() {
    Graph g = LayerSweep.graph(LayerSweep.Kind.CONV3X3, 32, 64, 32);
    HardwareDescription hw = TestTargets.withMemory(Targets.resolve("diana"), "l1", 16 << 10);
    Simulation s = simulate(g, hw, Policy.DIGITAL, false, 1);
    long overlapped = 0;
    for (Simulation.Event dma : s.events()) {
      if (!dma.category().equals("dma")) {
        continue;
      }
      for (Simulation.Event job : s.events()) {
        if (job.category().equals("job")) {
          overlapped += Math.max(0, Math.min(dma.end(), job.end()) - Math.max(dma.start(), job.start()));
        }
      }
    }
    assertThat(overlapped).as("some DMA runs under compute").isPositive();
    // A synchronous engine holds the host: nothing overlaps, and the layer takes longer.
    HardwareDescription sync = TestTargets.withSynchronousDmas(hw);
    Simulation serial = simulate(g, sync, Policy.DIGITAL, false, 1);
    assertThat(serial.check().orElseThrow().matched()).isTrue();
    assertThat(serial.cycles()).isGreaterThan(s.cycles());
    for (Simulation.Event dma : serial.events()) {
      for (Simulation.Event job : serial.events()) {
        if (dma.category().equals("dma") && job.category().equals("job")) {
          assertThat(Math.min(dma.end(), job.end())).isLessThanOrEqualTo(Math.max(dma.start(), job.start()));
        }
      }
    }
  }

  /** A memory that declares one port serves one transfer at a time: its transfers never overlap. */
  @Test
  void aSinglePortedMemorySerializesItsTransfers() {
    Graph g = LayerSweep.graph(LayerSweep.Kind.CONV3X3, 32, 64, 32);
    HardwareDescription hw = TestTargets.withMemory(Targets.resolve("diana"), "l1", 16 << 10);
    Simulation free = simulate(g, hw, Policy.DIGITAL, false, 1);
    Simulation one = simulate(g, TestTargets.withPorts(hw, "l2", 1), Policy.DIGITAL, false, 1);
    assertThat(one.check().orElseThrow().matched()).isTrue();
    assertThat(one.cycles()).isGreaterThan(free.cycles());
    List<Simulation.Event> l2 = one.events().stream()
        .filter(e -> e.category().equals("dma") && e.name().contains("l2")).toList();
    assertThat(l2).hasSizeGreaterThan(1);
    for (Simulation.Event a : l2) {
      for (Simulation.Event b : l2) {
        if (a != b) {
          assertThat(Math.min(a.end(), b.end())).isLessThanOrEqualTo(Math.max(a.start(), b.start()));
        }
      }
    }
    // Without declared ports both channels stream through L2 at once somewhere.
    List<Simulation.Event> any = free.events().stream()
        .filter(e -> e.category().equals("dma") && e.name().contains("l2")).toList();
    boolean overlap = false;
    for (Simulation.Event a : any) {
      for (Simulation.Event b : any) {
        overlap |= a != b && Math.min(a.end(), b.end()) > Math.max(a.start(), b.start());
      }
    }
    assertThat(overlap).isTrue();
  }
}
