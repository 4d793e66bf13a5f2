package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln run --target}: the lowered graph a target computes, and its bad input. */
class RunTargetCommandTest {
  @TempDir
  Path tmp;

  private static String model(String name) {
    return SharedModels.file("mlperf-tiny/" + name + ".tflite").toString();
  }

  private static String rand16(String name) {
    return SharedModels.file("reference-outputs/" + name + "/rand16.in.bin").toString();
  }

  @Test
  void fixedPointTargetsRunTheInt8GraphByteForByte() throws IOException {
    Path plain = tmp.resolve("plain");
    Path dla = tmp.resolve("dla");
    String[] common = {"run", model("vww_96_int8"), "--input", rand16("vww_96_int8"), "--batch",
        "16"};
    assertThat(kiln(concat(common, "--output-dir", plain.toString())).code()).isZero();
    CliRunner.Result r = kiln(concat(common, "--output-dir", dla.toString(), "--target",
        "dla:pe=128,par=input,dw=emulated"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("lowered for dla:pe=128,par=input,dw=emulated: 0 nodes"
        + " rewritten");
    assertThat(Files.readAllBytes(dla.resolve("output0.bin")))
        .isEqualTo(Files.readAllBytes(plain.resolve("output0.bin")))
        .isEqualTo(Files.readAllBytes(SharedModels.file(
            "reference-outputs/vww_96_int8/rand16.out.tflm.bin")));
  }

  @Test
  void dianaAnalogTernarizedRunsTheLoweredGraphAndReportsTheChange() throws IOException {
    Path out = tmp.resolve("out");
    CliRunner.Result r = kiln("run", model("pretrainedResnet_quant"), "--input",
        rand16("pretrainedResnet_quant"), "--batch", "16", "--output-dir", out.toString(),
        "--target", "diana", "--policy", "analog", "--ternarize", "--lowering-report");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("kiln: warning: --ternarize converted the weights of 10 layers");
    assertThat(r.out()).contains("lowered for diana: 14 nodes rewritten")
        .contains("lowering: numeric change against the int8 graph (16 samples)")
        .contains("outputs: top-1 agreement");
    assertThat(Files.size(out.resolve("output0.bin"))).isEqualTo(16 * 10);
  }

  @Test
  void badTargetOptionsAreOneLineExit2AndWriteNothing() {
    Path out = tmp.resolve("never");
    String[][] cases = {
        {"--policy", "digital"},
        {"--ternarize"},
        {"--target", "tpu"},
        {"--target", "dla", "--policy", "analog"},
        {"--target", "diana", "--policy", "fastest"}};
    String[] expected = {"need --target", "need --target", "unknown target",
        "needs an accelerator of kind analog_imc", "unknown policy 'fastest'"};
    for (int i = 0; i < cases.length; i++) {
      CliRunner.Result r = kiln(concat(new String[] {"run", "builtin:ds_cnn", "--random-input",
          "1", "--output-dir", out.toString()}, cases[i]));
      assertThat(r.code()).as(String.join(" ", cases[i])).isEqualTo(2);
      assertThat(r.errLine()).startsWith("kiln: ").contains(expected[i]);
      assertThat(Files.exists(out)).isFalse();
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
