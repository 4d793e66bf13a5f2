package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line findings of the hostile-input campaign: odd paths, devices, FIFOs, huge
 * batches and flags. Each must give one {@code kiln: ...} line and exit code 2, quickly.
 */
class HostileInputTest {
  /** A hang guard, not a performance assertion: a correct refusal takes milliseconds. */
  private static final Duration HANG = Duration.ofSeconds(30);

  @TempDir
  Path tmp;

  private static void assertOneLineUserError(CliRunner.Result r, String... fragments) {
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: ").doesNotContain("\n").contains(fragments);
    assertThat(r.err()).doesNotContain("internal error").doesNotContain("\tat ");
  }

  @Test
  void deviceAsInputIsRefusedBeforeReading() {
    assumeTrue(Files.exists(Path.of("/dev/zero")), "/dev/zero is absent");
    CliRunner.Result r = assertTimeoutPreemptively(HANG, () -> kiln("run", "builtin:ds_cnn",
        "--input", "/dev/zero", "--output-dir", tmp.resolve("out").toString()));
    assertOneLineUserError(r, "/dev/zero", "not a regular file");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void fifoAsInputIsRefusedWithoutBlocking() throws Exception {
    Path fifo = tmp.resolve("in.fifo");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed");
    CliRunner.Result r = assertTimeoutPreemptively(HANG, () -> kiln("run", "builtin:ds_cnn",
        "--input", fifo.toString(), "--output-dir", tmp.resolve("out").toString()));
    assertOneLineUserError(r, fifo.toString(), "FIFO");
  }

  @Test
  void directoryAsInputIsRefused() {
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input", tmp.toString(),
        "--output-dir", tmp.resolve("out").toString());
    assertOneLineUserError(r, tmp.toString(), "directory");
  }

  @Test
  void oversizedInputIsRefusedBySizeNotByReading() throws IOException {
    // A sparse 3 GB file: reading it would need a 3 GB array; its size alone says it is wrong.
    Path big = tmp.resolve("big.bin");
    try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(3L << 30);
    }
    CliRunner.Result r = assertTimeoutPreemptively(HANG, () -> kiln("run", "builtin:ds_cnn",
        "--input", big.toString(), "--output-dir", tmp.resolve("out").toString()));
    assertOneLineUserError(r, "expected 490 bytes", "got 3221225472");
  }

  @Test
  void hugeBatchIsAClearLimitNotAnOverflow() {
    CliRunner.Result r = kiln("run", "--random-input", "1", "--batch", "2147483647",
        "builtin:ds_cnn", "--output-dir", tmp.resolve("out").toString());
    assertOneLineUserError(r, "--batch 2147483647", "limit");
    // A batch whose bytes alone overflow an int when multiplied by the sample size.
    CliRunner.Result files = kiln("run", "builtin:ds_cnn", "--batch", "1000000000", "--input",
        tmp.toString(), "--output-dir", tmp.resolve("out").toString());
    assertOneLineUserError(files, "--batch 1000000000");
  }

  @Test
  void emptyOutputDirIsRefused() throws IOException {
    Path cwd = Path.of("").toAbsolutePath();
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--random-input", "1", "--output-dir", "");
    assertOneLineUserError(r, "--output-dir", "empty");
    assertThat(cwd.resolve("input0.bin")).doesNotExist();
    assertThat(cwd.resolve("output0.bin")).doesNotExist();
    assertOneLineUserError(kiln("compile", "builtin:ds_cnn", "-o", ""), "empty");
  }

  @Test
  void unknownCommandWithHelpIsAnError() {
    CliRunner.Result r = kiln("NOSUCHCOMMAND", "--help");
    assertOneLineUserError(r, "NOSUCHCOMMAND");
    assertThat(r.out()).isEmpty();
    // Help for a real command still works.
    assertThat(kiln("run", "--help").code()).isZero();
    assertThat(kiln("--help").code()).isZero();
  }

  @Test
  void planRefusesFloatModelsWithAHintToQuantize() {
    String model = SharedModels.file("tflm/hello_world/hello_world_float.tflite").toString();
    for (String target : new String[] {"cpu", "diana"}) {
      CliRunner.Result r = kiln("plan", model, "--target", target);
      assertOneLineUserError(r, "float", "kiln quantize");
      assertThat(r.err()).doesNotContain("--ternarize");
      assertThat(r.out()).isEmpty();
    }
  }
}
