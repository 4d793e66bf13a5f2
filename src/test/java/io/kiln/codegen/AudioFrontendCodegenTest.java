package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.report.CompileReport;
import io.kiln.report.ObjectSizes;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated front-end keeps its noise estimate in a static state block: the header says how
 * big it is, the compile report counts it, and {@code kiln_reset()} in C restarts it, which a
 * small driver checks by running the same frames before and after a reset (under the
 * sanitizers).
 */
class AudioFrontendCodegenTest {
  @TempDir
  Path tmp;

  private static Graph frontEnd() {
    return TfliteImporter.load(
        SharedModels.file("tflm/micro_speech/audio_preprocessor_int8.tflite"));
  }

  /**
   * The generated front-end under review like hand-written code (the weights file, which holds
   * the model's own tables, is not kept: shared data stays in shared/).
   */
  @Test
  void generatedCodeMatchesGoldens() {
    java.util.Map<String, String> files = CpuCodegen.emit(frontEnd(), CodegenOptions.defaults())
        .files();
    for (String f : List.of("kiln_model.h", "kiln_model.c")) {
      io.kiln.testing.Golden.assertMatches("codegen/audio_preprocessor_int8/" + f, files.get(f));
    }
  }

  @Test
  void stateIsDeclaredAndCounted() {
    Graph g = frontEnd();
    CpuCodegen.Sources s = CpuCodegen.emit(g, CodegenOptions.defaults());
    assertThat(s.files().get("kiln_model.h")).contains("#define KILN_STATE_BYTES 160")
        .contains("void kiln_reset(void);");
    assertThat(s.files()).containsKey("kiln_signal.h");
    assertThat(s.files().get("kiln_model.c")).doesNotContain("float").doesNotContain("double");
    CompileResult r = new CompileResult(Path.of("out"), List.copyOf(s.files().keySet()),
        s.arenaBytes(), s.weightBytes(), s.layers());
    assertThat(CompileReport.of(g, "cpu", r, ObjectSizes.unavailable("gcc", "test")).totals()
        .stateBytes()).isEqualTo(160);
  }

  /** The float variant (integer pipeline, float scaling at the end) in C equals the interpreter. */
  @Test
  void floatFrontEndInCEqualsTheInterpreter() throws IOException {
    NativeBuild.assumeGcc();
    Graph g = TfliteImporter.load(
        SharedModels.file("tflm/micro_speech/audio_preprocessor_float.tflite"));
    byte[] frames = Files.readAllBytes(SharedModels.file(
        "reference-outputs/audio_preprocessor_int8/no_1000ms.in.bin"));
    Path host = NativeBuild.build(g, tmp.resolve("float"), NativeBuild.STRICT);
    byte[] c = NativeBuild.run(host, List.of(frames), 49, 1).get(0);
    io.kiln.interp.Interpreter interp = new io.kiln.interp.Interpreter(g);
    io.kiln.ir.Value in = g.inputValues().get(0);
    java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
    for (int f = 0; f < 49; f++) {
      byte[] frame = java.util.Arrays.copyOfRange(frames, f * 960, (f + 1) * 960);
      expected.writeBytes(interp.run(List.of(io.kiln.interp.Tensor.fromBytes(in.dtype(),
          in.shape(), frame))).get(0).toBytes());
    }
    assertThat(c).isEqualTo(expected.toByteArray());
  }

  @Test
  void resetInCRestartsTheNoiseEstimate() throws IOException {
    NativeBuild.assumeGcc();
    Path dir = tmp.resolve("fe");
    CpuCodegen.generate(frontEnd(), dir, CodegenOptions.defaults());
    Files.writeString(dir.resolve("main_host.c"), """
        /* Runs 10 frames, resets, runs them again: both passes must agree; a third pass
           without a reset continues from the state and must differ. */
        #include <stdint.h>
        #include <stdio.h>
        #include <string.h>
        #include "kiln_model.h"
        static int16_t frames[10][480];
        static int8_t out[3][10][40];
        int main(void) {
          for (int f = 0; f < 10; ++f)
            for (int i = 0; i < 480; ++i)
              frames[f][i] = (int16_t)((i * 37 + f * 101) % 2000 - 1000);
          for (int pass = 0; pass < 3; ++pass) {
            if (pass == 1) kiln_reset();
            for (int f = 0; f < 10; ++f) kiln_run_single(frames[f], out[pass][f]);
          }
          if (memcmp(out[0], out[1], sizeof out[0]) != 0) { puts("reset differs"); return 1; }
          if (memcmp(out[1], out[2], sizeof out[0]) == 0) { puts("no state kept"); return 1; }
          return 0;
        }
        """);
    Path exe = NativeBuild.compile(dir, NativeBuild.SANITIZE, "reset_check");
    NativeBuild.Result r = NativeBuild.exec(dir, List.of(exe.toString()));
    assertThat(r.output()).isEmpty();
    assertThat(r.exit()).isZero();
  }
}
