package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.GraphPrinter;
import io.kiln.models.Builtins;
import io.kiln.passes.Pipeline;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptCommandTest {

  @Test
  void printsTheFinalGraphInCanonicalText() {
    CliRunner.Result r = kiln("opt", "builtin:ds_cnn");
    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).isEqualTo(
        GraphPrinter.print(Pipeline.DEFAULT.apply(Builtins.named("ds_cnn").build())));
  }

  @Test
  void printAfterAllNamesEveryPassAndExplainListsRuleDecisions() {
    CliRunner.Result r = kiln("opt", "builtin:resnet", "--print-after-all", "--explain",
        "--verify-each");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("# input\ngraph resnet\n");
    for (var stage : Pipeline.DEFAULT.stages()) {
      assertThat(r.out()).containsPattern("# (after )?" + stage.name() + "(: unchanged)?\n");
    }
    assertThat(r.out()).contains("# rules\n");
  }

  @Test
  void runsOnlyTheNamedPasses() {
    CliRunner.Result r = kiln("opt", "builtin:ds_cnn", "--print-after-all",
        "--passes", "fold-pad,dead-code");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("# fold-pad: unchanged", "# dead-code: unchanged")
        .doesNotContain("fuse-activation");
  }

  @Test
  void unknownPassIsAOneLineUserError() {
    CliRunner.Result r = kiln("opt", "builtin:ds_cnn", "--passes", "fold-pad,nonsense");
    assertThat(r.code()).isEqualTo(Main.EXIT_USER_ERROR);
    assertThat(r.errLine()).isEqualTo("kiln: unknown pass 'nonsense'; known passes: "
        + String.join(", ", Pipeline.DEFAULT.stages().stream().map(s -> s.name()).toList()));
  }

  @Test
  void runWithAndWithoutPassesWritesTheSameOutputs(@TempDir Path dir) throws Exception {
    CliRunner.assumeInterpreterRuns("ds_cnn");
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    assertThat(kiln("run", "builtin:ds_cnn", "--random-input", "3", "--output-dir",
        a.toString()).code()).isZero();
    assertThat(kiln("run", "builtin:ds_cnn", "--random-input", "3", "--no-opt", "--output-dir",
        b.toString()).code()).isZero();
    assertThat(java.nio.file.Files.readAllBytes(a.resolve("output0.bin")))
        .isEqualTo(java.nio.file.Files.readAllBytes(b.resolve("output0.bin")));
  }
}
