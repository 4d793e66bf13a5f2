package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.KilnException;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Interpreter;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln run} on real models reproduces TFLite Micro's reference outputs byte for byte. */
class RunSharedModelsTest {
  @TempDir
  Path tmp;

  private static void assumeRunnable(Path model) {
    try {
      new Interpreter(TfliteImporter.load(model));
    } catch (KilnException e) {
      assumeTrue(!e.getMessage().contains("not implemented")
          && !e.getMessage().contains("does not support"),
          "importer or kernels not merged yet: " + e.getMessage());
      throw e;
    }
  }

  @Test
  void kwsRand16BatchMatchesTflm() throws IOException {
    Path model = SharedModels.file("mlperf-tiny/kws_ref_model.tflite");
    Path ref = SharedModels.file("reference-outputs/kws_ref_model");
    assumeRunnable(model);
    Path out = tmp.resolve("out");
    CliRunner.Result r = kiln("run", model.toString(), "--input",
        ref.resolve("rand16.in.bin").toString(), "--batch", "16", "--output-dir", out.toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("on 16 samples", "... (6 more samples)");
    assertThat(Files.readAllBytes(out.resolve("output0.bin")))
        .isEqualTo(Files.readAllBytes(ref.resolve("rand16.out.tflm.bin")));
  }

  @Test
  void autoencoderGetsNoTopOneSummary() throws IOException {
    Path model = SharedModels.file("mlperf-tiny/ad01_int8.tflite");
    Path ref = SharedModels.file("reference-outputs/ad01_int8");
    assumeRunnable(model);
    Path out = tmp.resolve("out");
    CliRunner.Result r = kiln("run", model.toString(), "--input",
        ref.resolve("zeros.in.bin").toString(), "--output-dir", out.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).doesNotContain("top-1");
    assertThat(Files.readAllBytes(out.resolve("output0.bin")))
        .isEqualTo(Files.readAllBytes(ref.resolve("zeros.out.tflm.bin")));
  }
}
