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
    // A batch only times systolic units: on a target without one it was silently ignored.
    CliRunner.Result d = kiln("simulate", "builtin:ds_cnn", "--target", "diana", "--random-input", "1",
        "--batch", "8");
    assertThat(d.code()).isEqualTo(2);
    assertThat(d.errLine()).isEqualTo("kiln: --batch 8 times a batch on systolic units, and target"
        + " 'diana' has none (its simulation covers one image)");
  }

  @Test
  void aBatchSaysWhichNumbersItCovers() {
    CliRunner.Result r = kiln("simulate", "builtin:ds_cnn", "--target", "systolic", "--timing-only",
        "--batch", "4");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("batch: 4 images in the systolic units' cycles");
    assertThat(kiln("simulate", "builtin:ds_cnn", "--target", "systolic", "--timing-only").out())
        .doesNotContain("batch:");
  }

  /** The systolic unit's busy cycles from the report's busy line. */
  private static long busy(String out) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("systolic (\\d+) \\(").matcher(out);
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }
}
