package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code kiln simulate --target systolic:...}: checked outputs, the batch, one-line errors. */
class SimulateSystolicTest {

  @Test
  void aSystolicTargetSimulatesWithCheckedOutputsAndABatchOnlyTimesMore() {
    CliRunner.Result one = kiln("simulate", "builtin:resnet", "--target", "systolic:im2col=explicit",
        "--random-input", "3");
    assertThat(one.code()).isZero();
    assertThat(one.out()).contains("outputs: identical to the interpreter on the lowered graph");
    CliRunner.Result eight = kiln("simulate", "builtin:resnet", "--target", "systolic", "--random-input",
        "3", "--batch", "8");
    assertThat(eight.code()).isZero();
    assertThat(eight.out()).contains("outputs: identical");
    assertThat(busy(eight.out())).isGreaterThan(busy(kiln("simulate", "builtin:resnet", "--target",
        "systolic", "--random-input", "3").out()));
  }

  @Test
  void badSystolicParametersAndBatchesAreOneLineErrors() {
    CliRunner.Result r = kiln("simulate", "builtin:resnet", "--target", "systolic:word=3", "--random-input", "1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).startsWith("kiln: target systolic: word=3 must be a power of two")
        .doesNotContain("\n");
    CliRunner.Result b = kiln("simulate", "builtin:resnet", "--target", "systolic", "--random-input", "1",
        "--batch", "0");
    assertThat(b.code()).isEqualTo(2);
    assertThat(b.err().strip()).isEqualTo("kiln: --batch must be at least 1, got 0");
  }

  /** The systolic unit's busy cycles from the report's busy line. */
  private static long busy(String out) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("systolic (\\d+) \\(").matcher(out);
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }
}
