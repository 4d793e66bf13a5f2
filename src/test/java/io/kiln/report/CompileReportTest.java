package io.kiln.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.analysis.CostAnalysis;
import io.kiln.analysis.GraphCost;
import io.kiln.analysis.NodeCost;
import io.kiln.codegen.ArenaLayout;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.CompileResult;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.models.Builtins;
import io.kiln.plan.memory.GreedyPlanner;
import io.kiln.plan.memory.Lifetime;
import io.kiln.plan.memory.MemoryPlan;
import io.kiln.testing.Golden;
import io.kiln.testing.SharedModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The compile report built from real compiles: its arena figures are computed over the buffers
 * the code generator actually planned, its MACs agree with {@code io.kiln.analysis}, and its text
 * and JSON forms are pinned by golden files.
 */
class CompileReportTest {
  /** Fixed sizes for the golden files, which must not depend on the machine's compiler. */
  private static final ObjectSizes SIZES = ObjectSizes.measured("gcc", "gcc -std=c99 -O2 -c",
      10_335, 27_344, 0, 16_000);

  /** A compile in memory, with a fixed output directory so reports are reproducible. */
  static CompileResult compile(Graph g) {
    CpuCodegen.Sources s = CpuCodegen.emit(g, CodegenOptions.defaults());
    return new CompileResult(Path.of("out"), List.copyOf(s.files().keySet()), s.arenaBytes(),
        s.weightBytes(), s.layers());
  }

  static Graph kws() {
    return TfliteImporter.load(SharedModels.file("mlperf-tiny/kws_ref_model.tflite"));
  }

  @Test
  void dsCnnTextMatchesGolden() {
    Graph g = Builtins.named("ds_cnn").build();
    Golden.assertMatches("report/compile_ds_cnn.txt",
        CompileReportText.render(CompileReport.of(g, "cpu", compile(g), SIZES)));
  }

  @Test
  void dsCnnJsonMatchesGoldenAndUsesSnakeCase() throws Exception {
    Graph g = Builtins.named("ds_cnn").build();
    String json = CompileReportJson.render(CompileReport.of(g, "cpu", compile(g), SIZES));
    Golden.assertMatches("report/compile_ds_cnn.json", json);
    JsonNode j = new ObjectMapper().readTree(json);
    assertThat(j.get("totals").fieldNames()).toIterable().containsExactly("layers", "macs",
        "arena_bytes", "arena_lower_bound_bytes", "arena_baseline_bytes", "weight_bytes",
        "scratch_bytes", "input_bytes", "output_bytes", "state_bytes");
    JsonNode last = j.get("layers").get(12);
    assertThat(last.get("storage").asText()).isEqualTo("io");
    assertThat(last.get("arena_offset").isNull()).isTrue();
    assertThat(j.get("object_sizes").get("bss_bytes").asLong()).isEqualTo(16_000);
  }

  @Test
  void builtinsAgreeWithAnalysisAndThePlanner() {
    for (Graph g : List.of(Builtins.named("ds_cnn").build(), Builtins.named("resnet").build())) {
      checkConsistent(g);
    }
  }

  @Test
  void mlperfKwsAgreesWithAnalysisAndThePlanner() {
    checkConsistent(kws());
  }

  /** Everything a report claims, checked against an independent source. */
  private static void checkConsistent(Graph g) {
    CompileResult r = compile(g);
    CompileReport rep = CompileReport.of(g, "cpu", r, SIZES);
    GraphCost cost = CostAnalysis.analyze(g);
    assertThat(rep.layers()).hasSize(g.nodes().size());
    for (int k = 0; k < rep.layers().size(); k++) {
      NodeCost nc = cost.nodes().get(k);
      CompileReport.Layer l = rep.layers().get(k);
      assertThat(l.index()).isEqualTo(k);
      assertThat(l.op()).isEqualTo(nc.op());
      assertThat(l.macs()).as("%s layer %d MACs", g.name(), k).isEqualTo(nc.macs());
      assertThat(l.outputBytes()).isEqualTo(nc.outputActivationBytes());
      assertThat(l.output().bytes()).isEqualTo(nc.output().bytes());
    }
    assertThat(rep.totals().macs()).isEqualTo(cost.macs());
    assertThat(rep.totals().weightBytes()).isEqualTo(r.weightBytes());
    assertThat(rep.totals().arenaBytes()).isEqualTo(r.arenaBytes())
        .isGreaterThanOrEqualTo(rep.totals().arenaLowerBoundBytes());
    assertThat(rep.totals().arenaBaselineBytes())
        .isGreaterThanOrEqualTo(rep.totals().arenaBytes());
    // The lower bound counts only the arena: never more than analysis's all-live peak.
    assertThat(rep.totals().arenaLowerBoundBytes()).isLessThanOrEqualTo(
        cost.peakActivationBytes());

    // The lifetimes are those the code generator planned: its own planner, run on them, puts
    // every buffer where the generated code has it.
    List<Lifetime> lifetimes = ArenaLifetimes.of(g, r);
    MemoryPlan plan = new GreedyPlanner().plan(lifetimes, ArenaLayout.ALIGNMENT);
    assertThat(plan.arenaBytes()).as("%s arena", g.name()).isEqualTo(r.arenaBytes());
    for (CompileReport.Layer l : rep.layers()) {
      int id = g.nodes().get(l.index()).output();
      if (l.arenaOffset() == null) {
        assertThat(g.outputs()).contains(id);
        assertThat(lifetimes).noneMatch(lt -> lt.id() == id);
      } else {
        assertThat(plan.offset(id)).as("%s layer %d offset", g.name(), l.index())
            .isEqualTo(l.arenaOffset());
      }
    }
  }

  @Test
  void graphInputsAndDirectOutputsAreNotArenaBuffers() {
    Graph g = Builtins.named("resnet").build();
    List<Lifetime> lifetimes = ArenaLifetimes.of(g, compile(g));
    assertThat(lifetimes).extracting(Lifetime::id).doesNotContainAnyElementsOf(g.inputs())
        .doesNotContainAnyElementsOf(g.outputs());
    // Every other operator result is in the arena.
    assertThat(lifetimes).hasSize(g.nodes().size() - g.outputs().size());
  }

  @Test
  void mlperfKwsArenaIsAtItsLowerBound() {
    Graph g = kws();
    CompileReport rep = CompileReport.of(g, "cpu", compile(g), SIZES);
    assertThat(rep.totals().arenaBytes()).isEqualTo(rep.totals().arenaLowerBoundBytes());
    assertThat(CompileReportText.render(rep)).contains("arena_bytes", "at the lower bound");
  }

  @Test
  void separateRegionsReportsHowFarAboveTheBoundItIs() {
    Graph g = Builtins.named("ds_cnn").build();
    CpuCodegen.Sources s = CpuCodegen.emit(g,
        CodegenOptions.defaults().withPlanner(ArenaLayout.SEPARATE_REGIONS));
    CompileResult r = new CompileResult(Path.of("out"), List.copyOf(s.files().keySet()),
        s.arenaBytes(), s.weightBytes(), s.layers());
    CompileReport rep = CompileReport.of(g, "cpu", r, SIZES);
    long over = rep.totals().arenaBytes() - rep.totals().arenaLowerBoundBytes();
    assertThat(over).isPositive();
    assertThat(CompileReportText.render(rep)).contains(
        String.format(java.util.Locale.ROOT, "%,d above the lower bound", over));
  }

  @Test
  void unavailableSizesSayWhy() {
    Graph g = Builtins.named("ds_cnn").build();
    String text = CompileReportText.render(CompileReport.of(g, "cpu", compile(g),
        ObjectSizes.unavailable(null, "no C compiler")));
    assertThat(text).containsPattern("\\.text/\\.rodata/\\.data/\\.bss +n/a +\\(no C compiler\\)");
    assertThat(text).doesNotContainPattern("(?m)^  \\.bss ");
  }

  @Test
  void inconsistentRowsAreRejected() {
    CompileReport.Tensor t = new CompileReport.Tensor("i8", List.of(1), 1);
    assertThatThrownBy(() -> new CompileReport.Layer(0, "Add", List.of(t), t, 0,
        CompileReport.IO, 5L, 1, 0, "plain-c", "")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CompileReport.Layer(0, "Add", List.of(t), t, 0,
        CompileReport.ARENA, null, 1, 0, "plain-c", "")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CompileReport.Layer(0, "Add", List.of(t), t, 0, "flash", null,
        1, 0, "plain-c", "")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ObjectSizes.unavailable("gcc", null))
        .isInstanceOf(NullPointerException.class);
  }
}
