package io.kiln.codegen.dla;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.sim.LayerSweep;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.sim.dla.DlaCallModel;
import io.kiln.sim.dla.DlaStats;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The DLA's subgraph file: each DLA call of a deployment as a portable integer layer that plans
 * and runs on other variants (on the instruction-set simulator, byte for byte with the
 * interpreter), and one-line errors for a malformed file.
 */
class SubgraphsTest {
  private static Planner.Planned plan(Graph g, String target) {
    HardwareDescription hw = Targets.resolve(target);
    return Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
  }

  @Test
  void subgraphsRoundTripAndRunOnOtherVariants() {
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(SharedModels.file("mlperf-tiny/vww_96_int8.tflite").toString()));
    Planner.Planned p = plan(g, "dla");
    long calls = p.plan().calls().size();
    List<Subgraphs.Subgraph> subgraphs = Subgraphs.read(Subgraphs.toJson(g, p.plan(), "vww"), "test");
    assertThat(subgraphs).hasSize((int) calls);
    assertThat(subgraphs.stream().map(Subgraphs.Subgraph::kind).distinct()).contains("CONV", "DEPTH");
    int i = 0;
    for (Step.AcceleratorCall c : p.plan().calls()) {
      Subgraphs.Subgraph sg = subgraphs.get(i++);
      // The decoded layer computes what the model's nodes compute.
      List<Integer> nodes = new java.util.ArrayList<>(List.of(c.node()));
      nodes.addAll(c.fused());
      Graph cut = Subgraphs.cut(g, nodes);
      List<Tensor> in = LayerSweep.inputs(cut, i);
      assertThat(new Interpreter(sg.graph()).run(in).get(0).toBytes()).isEqualTo(new Interpreter(cut).run(in).get(0)
          .toBytes());
    }
    // Every subgraph plans on another variant and runs there on the ISS exactly like the interpreter.
    for (Subgraphs.Subgraph sg : subgraphs.subList(0, 6)) {
      for (String variant : List.of("dla:pe=128,par=input,dw=native", "dla:sram=1MiB,dw=emulated")) {
        Planner.Planned q = plan(sg.graph(), variant);
        DlaStats stats = new DlaStats(q.plan().hardware().accelerators().get(0).peakMacsPerCycle());
        Simulation s = Simulator.simulate(q.plan(), q.costs(), Simulator.CpuTiming.of(q.costs()),
            DlaCallModel.models(stats), LayerSweep.inputs(q.plan().graph(), 3), true, "test");
        assertThat(s.check().orElseThrow().firstMismatch()).as("%s on %s", sg.layer(), variant).isEmpty();
        assertThat(q.plan().calls()).as("%s on %s", sg.layer(), variant).isNotEmpty();
      }
    }
  }

  @Test
  void aMalformedFileIsOneLineNamingWhere() {
    assertThatThrownBy(() -> Subgraphs.read("{\"format\": \"kiln-dla-subgraphs/1\", \"subgraphs\": [", "f.json"))
        .isInstanceOf(KilnException.class).hasMessageStartingWith("f.json: offset ").hasMessageContaining("not JSON");
    assertThatThrownBy(() -> Subgraphs.read("{\"format\": \"other\"}", "f.json"))
        .isInstanceOf(KilnException.class).hasMessageContaining("not a DLA subgraph file");
    assertThatThrownBy(() -> Subgraphs.read("{\"format\": \"kiln-dla-subgraphs/1\", \"subgraphs\": [{\"kind\":"
        + " \"FOO\", \"layer\": \"x\", \"tflite\": \"\"}]}", "f.json"))
        .isInstanceOf(KilnException.class).hasMessage("f.json: subgraphs[0].kind: unknown subgraph kind 'FOO'");
    assertThatThrownBy(() -> Subgraphs.read("{\"format\": \"kiln-dla-subgraphs/1\", \"subgraphs\": [{\"kind\":"
        + " \"CONV\", \"layer\": \"x\", \"tflite\": \"!!\"}]}", "f.json"))
        .isInstanceOf(KilnException.class).hasMessageStartingWith("f.json: subgraphs[0].tflite: not base64");
    assertThatThrownBy(() -> Subgraphs.read("{\"format\": \"kiln-dla-subgraphs/1\", \"subgraphs\": [{\"kind\":"
        + " \"CONV\", \"layer\": \"x\", \"tflite\": \"AAAA\"}]}", "f.json"))
        .isInstanceOf(KilnException.class).hasMessageStartingWith("f.json: subgraphs[0].tflite: ");
    assertThatThrownBy(() -> Subgraphs.read("{\"format\": \"kiln-dla-subgraphs/1\"}", "f.json"))
        .isInstanceOf(KilnException.class).hasMessage("f.json: field subgraphs: expected an array");
  }
}
