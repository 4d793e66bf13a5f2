package io.kiln.cli;

import static io.kiln.cli.CliRunner.assumeInterpreterRuns;
import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
  @TempDir
  Path tmp;

  private Path file(String name, int bytes) throws IOException {
    byte[] b = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      b[i] = (byte) (i * 37);
    }
    return Files.write(tmp.resolve(name), b);
  }

  private static String[] list(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return new String[0];
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
    }
  }

  // ---- positive -------------------------------------------------------------------------------

  @Test
  void randomInputRunWritesInputsOutputsAndTopClass() throws IOException {
    assumeInterpreterRuns("ds_cnn");
    Path out = tmp.resolve("out");
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--random-input", "1", "--output-dir",
        out.toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(list(out)).containsExactly("input0.bin", "output0.bin");
    assertThat(Files.size(out.resolve("input0.bin"))).isEqualTo(490);
    assertThat(Files.size(out.resolve("output0.bin"))).isEqualTo(12);
    assertThat(r.out()).contains("ran ds_cnn on 1 sample").containsPattern(
        "sample 0: top-1 class \\d+ \\(score 0\\.\\d{4}\\)");
    // Softmax probabilities in q(1/256, -128) sum to about 1: 12 values of (q + 128) / 256.
    byte[] probs = Files.readAllBytes(out.resolve("output0.bin"));
    int sum = 0;
    for (byte p : probs) {
      sum += p + 128;
    }
    assertThat(sum).isBetween(256 - 12, 256 + 12);
  }

  @Test
  void randomInputIsDeterministicPerSeed() throws IOException {
    assumeInterpreterRuns("resnet");
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Path c = tmp.resolve("c");
    assertThat(kiln("run", "builtin:resnet", "--random-input", "7", "--output-dir",
        a.toString()).code()).isZero();
    assertThat(kiln("run", "builtin:resnet", "--random-input", "7", "--output-dir",
        b.toString()).code()).isZero();
    assertThat(kiln("run", "builtin:resnet", "--random-input", "8", "--output-dir",
        c.toString()).code()).isZero();
    assertThat(Files.readAllBytes(a.resolve("input0.bin")))
        .isEqualTo(Files.readAllBytes(b.resolve("input0.bin")))
        .isNotEqualTo(Files.readAllBytes(c.resolve("input0.bin")));
    assertThat(Files.readAllBytes(a.resolve("output0.bin")))
        .isEqualTo(Files.readAllBytes(b.resolve("output0.bin")));
  }

  @Test
  void inputFileReproducesTheRandomRun() throws IOException {
    assumeInterpreterRuns("ds_cnn");
    Path first = tmp.resolve("first");
    assertThat(kiln("run", "builtin:ds_cnn", "--random-input", "3", "--output-dir",
        first.toString()).code()).isZero();
    Path second = tmp.resolve("second");
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input",
        first.resolve("input0.bin").toString(), "--output-dir", second.toString());
    assertThat(r.code()).isZero();
    assertThat(list(second)).containsExactly("output0.bin");
    assertThat(Files.readAllBytes(second.resolve("output0.bin")))
        .isEqualTo(Files.readAllBytes(first.resolve("output0.bin")));
  }

  @Test
  void batchRunsSamplesInOrderAndConcatenatesOutputs() throws IOException {
    assumeInterpreterRuns("ds_cnn");
    Path rnd = tmp.resolve("rnd");
    assertThat(kiln("run", "builtin:ds_cnn", "--random-input", "11", "--batch", "3",
        "--output-dir", rnd.toString()).code()).isZero();
    byte[] inputs = Files.readAllBytes(rnd.resolve("input0.bin"));
    assertThat(inputs).hasSize(3 * 490);
    ByteArrayOutputStream oneByOne = new ByteArrayOutputStream();
    for (int s = 0; s < 3; s++) {
      Path in = Files.write(tmp.resolve("s" + s + ".bin"),
          Arrays.copyOfRange(inputs, s * 490, (s + 1) * 490));
      Path out = tmp.resolve("o" + s);
      assertThat(kiln("run", "builtin:ds_cnn", "--input", in.toString(), "--output-dir",
          out.toString()).code()).isZero();
      oneByOne.writeBytes(Files.readAllBytes(out.resolve("output0.bin")));
    }
    Path batched = tmp.resolve("batched");
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input",
        rnd.resolve("input0.bin").toString(), "--batch", "3", "--output-dir", batched.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("on 3 samples", "sample 2: top-1 class");
    assertThat(Files.readAllBytes(batched.resolve("output0.bin")))
        .hasSize(36).isEqualTo(oneByOne.toByteArray());
  }

  @Test
  void failedWriteLeavesNoPartialOrTemporaryFiles() throws IOException {
    assumeInterpreterRuns("ds_cnn");
    Path out = Files.createDirectories(tmp.resolve("out"));
    // A non-empty directory where output0.bin should go makes the final rename fail.
    Files.createDirectories(out.resolve("output0.bin"));
    Files.write(out.resolve("output0.bin").resolve("keep"), new byte[] {1});
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input", file("in.bin", 490).toString(),
        "--output-dir", out.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: ").contains("output0.bin").doesNotContain("\n");
    assertThat(list(out)).containsExactly("output0.bin");
  }

  // ---- negative -------------------------------------------------------------------------------

  @Test
  void wrongInputSizeNamesExpectedAndActualBytes() throws IOException {
    Path in = file("short.bin", 100);
    Path out = tmp.resolve("out");
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input", in.toString(),
        "--output-dir", out.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("kiln: input 0 ('input', i8[1,49,10,1] q(0.007839852, 0))"
        + " from " + in + ": expected 490 bytes (1 sample x 490 bytes), got 100"
        + System.lineSeparator());
    assertThat(out).doesNotExist();
  }

  @Test
  void wrongSizeForBatch() throws IOException {
    Path in = file("in.bin", 490 * 2);
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input", in.toString(), "--batch", "3",
        "--output-dir", tmp.resolve("out").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).contains("expected 1470 bytes (3 samples x 490 bytes), got 980");
  }

  @Test
  void multipleSamplesWithoutBatchSuggestIt() throws IOException {
    Path in = file("in.bin", 490 * 4);
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input", in.toString(),
        "--output-dir", tmp.resolve("out").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).endsWith("got 1960; it holds 4 samples, pass --batch 4?");
  }

  @Test
  void missingInputFileIsNamed() {
    Path in = tmp.resolve("missing.bin");
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input", in.toString(),
        "--output-dir", tmp.resolve("out").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("kiln: input 0 file " + in + " does not exist"
        + System.lineSeparator());
  }

  @Test
  void tooManyInputFiles() throws IOException {
    Path in = file("in.bin", 490);
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input", in.toString(), "--input",
        in.toString(), "--output-dir", tmp.resolve("out").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: model has 1 input ('input' i8[1,49,10,1]) but 2"
        + " --input files were given");
  }

  @Test
  void noInputAtAll() {
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--output-dir", tmp.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: no input given: pass --input FILE")
        .endsWith("or use --random-input SEED");
  }

  @Test
  void inputAndRandomInputExcludeEachOther() throws IOException {
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--input", file("in.bin", 490).toString(),
        "--random-input", "1", "--output-dir", tmp.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine())
        .isEqualTo("kiln: give either --input files or --random-input, not both");
  }

  @Test
  void missingOutputDirIsAUsageError() {
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--random-input", "1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo(
        "kiln: Missing required option: '--output-dir=DIR' (see 'kiln run --help')");
  }

  @Test
  void batchMustBePositive() {
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--random-input", "1", "--batch", "0",
        "--output-dir", tmp.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: --batch must be at least 1, got 0");
  }

  @Test
  void nonNumericBatchIsAUsageError() {
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--random-input", "1", "--batch", "two",
        "--output-dir", tmp.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: ").contains("'two'").doesNotContain("\n");
  }

  @Test
  void unknownBuiltinFailsBeforeAnythingIsWritten() {
    Path out = tmp.resolve("out");
    CliRunner.Result r = kiln("run", "builtin:nope", "--random-input", "1", "--output-dir",
        out.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: unknown built-in model 'nope'");
    assertThat(out).doesNotExist();
  }

  @Test
  void outputDirThatIsAFileIsRejectedBeforeRunning() throws IOException {
    Path notADir = file("taken", 3);
    CliRunner.Result r = kiln("run", "builtin:ds_cnn", "--random-input", "1", "--output-dir",
        notADir.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine())
        .isEqualTo("kiln: --output-dir " + notADir + " exists and is not a directory");
    assertThat(Files.size(notADir)).isEqualTo(3);
  }

  @Test
  void badModelExtension() {
    CliRunner.Result r = kiln("run", "model.pt", "--random-input", "1", "--output-dir",
        tmp.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: cannot tell the format of model 'model.pt'");
  }
}
