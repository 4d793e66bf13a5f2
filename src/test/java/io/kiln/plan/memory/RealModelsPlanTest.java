package io.kiln.plan.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.testing.SharedModels;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Plans the four MLPerf Tiny int8 models and compares with the lower bound and TFLite Micro. */
class RealModelsPlanTest {

  @ParameterizedTest(name = "{0} at alignment {1}")
  @CsvSource({
      // Each arena is the largest pair (or, for the ResNet, triple) of tensors live at one step:
      // KWS two 25x5x64 maps, VWW the 48x48x8 and 48x48x16 maps, IC three 32x32x16 maps (the
      // skip connection), AD the 640-byte input and the first 128-byte layer.
      "kws_ref_model.tflite, 16, 16000, 24000", "kws_ref_model.tflite, 1, 16000, 24000",
      "vww_96_int8.tflite, 16, 55296, 103392", "vww_96_int8.tflite, 1, 55296, 103392",
      "pretrainedResnet_quant.tflite, 16, 49152, 55712",
      "pretrainedResnet_quant.tflite, 1, 49152, 55712",
      "ad01_int8.tflite, 16, 768, 3424", "ad01_int8.tflite, 1, 768, 3424"})
  void arenaMeetsTheLowerBoundAndBeatsTfliteMicro(String file, int alignment, long expected,
      long tflmArena) {
    Graph g = TfliteImporter.load(SharedModels.file("mlperf-tiny/" + file));
    List<Lifetime> ls = Lifetimes.of(g);
    BranchAndBoundPlanner.Result r = new BranchAndBoundPlanner().search(ls, alignment);
    MemoryPlan greedy = new GreedyPlanner().plan(ls, alignment);
    MemoryPlanReport report = MemoryPlanReport.of(ls, alignment, r.plan());
    long aliases = ls.stream().filter(l -> l.aliasOf().isPresent()).count();
    System.out.printf("%-30s align %2d: %s; greedy %d B; %d buffers (%d reshape aliases);"
        + " TFLM arena_used %d B%n", file, alignment, report, greedy.arenaBytes(), ls.size(),
        aliases, tflmArena);
    assertThat(PlanChecker.check(ls, r.plan(), alignment)).isEmpty();
    assertThat(PlanChecker.check(ls, greedy, alignment)).isEmpty();
    assertThat(report.atLowerBound()).as(report.toString()).isTrue();
    assertThat(greedy.arenaBytes()).isEqualTo(report.lowerBound());
    assertThat(report.arenaBytes()).isEqualTo(expected).isLessThan(tflmArena);
    assertThat(r.provenOptimal()).isTrue();
  }
}
