package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.cli.KwsOutput;
import io.kiln.codegen.cpu.KwsLibrary;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.testing.SharedModels;
import io.kiln.testing.TestWavs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled keyword-spotting library: its host driver, built strictly and under ASan/UBSan,
 * prints for each WAV exactly what {@code kiln kws} prints (same scores, smoothing, commands and
 * label), and refuses a bad WAV with one line and exit code 2.
 */
class KwsLibraryTest {
  @TempDir
  static Path tmp;

  private static final List<String> SOURCES = List.of("kiln_kws.c", "kiln_fe_model.c",
      "kiln_fe_weights.c", "kiln_nn_model.c", "kiln_nn_weights.c", "main_kws.c");

  private static Path ms(String f) {
    return SharedModels.file("tflm/micro_speech/" + f);
  }

  @Test
  void hostDriverPrintsWhatKilnKwsPrints() throws IOException {
    NativeBuild.assumeGcc();
    Graph fe = TfliteImporter.load(ms("audio_preprocessor_int8.tflite"));
    Graph net = TfliteImporter.load(ms("micro_speech_quantized.tflite"));
    Path dir = tmp.resolve("kws");
    KwsLibrary.generate(fe, net, new KwsLibrary.Settings(16000, 20,
        List.of("silence", "unknown", "yes", "no"), 1000, 200, 1500, 3),
        CodegenOptions.defaults(), dir);

    List<Path> wavs = new ArrayList<>();
    for (String w : List.of("yes", "no", "silence", "noise")) {
      wavs.add(ms("testdata/" + w + "_1000ms.wav"));
    }
    byte[] yes = Files.readAllBytes(wavs.get(0));
    byte[] no = Files.readAllBytes(wavs.get(1));
    byte[] both = new byte[yes.length - 44 + no.length - 44];
    System.arraycopy(yes, 44, both, 0, yes.length - 44);
    System.arraycopy(no, 44, both, yes.length - 44, no.length - 44);
    wavs.add(Files.write(tmp.resolve("yes_no.wav"), TestWavs.wav(1, 1, 16000, 16, both, false)));

    for (List<String> flags : List.of(NativeBuild.STRICT, NativeBuild.SANITIZE)) {
      List<String> cmd = new ArrayList<>(List.of("gcc"));
      cmd.addAll(flags);
      cmd.addAll(List.of("-o", "kiln_kws"));
      cmd.addAll(SOURCES);
      NativeBuild.Result build = NativeBuild.exec(dir, cmd);
      assertThat(build.output()).as("gcc %s", flags).isEmpty();
      assertThat(build.exit()).isZero();
      for (Path wav : wavs) {
        NativeBuild.Result r = NativeBuild.exec(dir, List.of(dir.resolve("kiln_kws").toString(),
            wav.toString()));
        assertThat(r.exit()).as("%s: %s", wav, r.output()).isZero();
        assertThat(tail(r.output())).as("%s (%s)", wav, flags)
            .isEqualTo(tail(KwsOutput.of(wav, ms("audio_preprocessor_int8.tflite"),
                ms("micro_speech_quantized.tflite"))));
      }
      Path stereo = Files.write(tmp.resolve("stereo.wav"), TestWavs.wav(1, 2, 16000, 16,
          new byte[64000], false));
      NativeBuild.Result bad = NativeBuild.exec(dir, List.of(dir.resolve("kiln_kws").toString(),
          stereo.toString()));
      assertThat(bad.exit()).isEqualTo(2);
      assertThat(bad.output()).endsWith(": not 16-bit PCM mono\n").hasLineCount(1);
    }
  }

  /**
   * kiln_push_audio takes chunks of any size: pushing a recording 1, 7, 333, 480 or 1000
   * samples at a time gives the same inferences, features and scores as one stride at a time,
   * and kiln_kws_reset() starts over.
   */
  @Test
  void chunkSizesDoNotChangeTheResults() throws IOException {
    NativeBuild.assumeGcc();
    Path dir = tmp.resolve("chunks");
    KwsLibrary.generate(TfliteImporter.load(ms("audio_preprocessor_int8.tflite")),
        TfliteImporter.load(ms("micro_speech_quantized.tflite")), new KwsLibrary.Settings(16000,
            20, List.of("silence", "unknown", "yes", "no"), 1000, 200, 1500, 3),
        CodegenOptions.defaults(), dir);
    Files.writeString(dir.resolve("main_kws.c"), """
        #include <stdio.h>
        #include <string.h>
        #include "kiln_kws.h"
        #define N 40000
        static int16_t audio[N];
        static kiln_kws_result seen[2][200];
        static int count[2];
        static void push_all(int pass, const size_t *chunks, int nchunks) {
          size_t at = 0;
          int c = 0;
          count[pass] = 0;
          kiln_kws_reset();
          while (at < N) {
            size_t n = chunks[c++ % nchunks];
            if (n > N - at) n = N - at;
            /* A chunk longer than a stride may finish several inferences; the call
               reports the last, which is compared with pass 0's at the same time. */
            if (kiln_push_audio(audio + at, n) >= 0) seen[pass][count[pass]++] = *kiln_kws_latest();
            at += n;
          }
        }
        int main(void) {
          unsigned x = 7;
          for (int i = 0; i < N; ++i) {
            x = x * 1103515245u + 12345u;
            audio[i] = (int16_t)((int)((x >> 16) % 4001) - 2000) * (i / 8000 % 2 ? 4 : 1);
          }
          const size_t stride[] = {320};
          push_all(0, stride, 1);
          const size_t odd[] = {1, 7, 333, 480, 1000};
          for (int k = 0; k < 5; ++k) {
            const size_t one[] = {odd[k]};
            push_all(1, one, 1);
            /* A chunk covering several frames reports its last inference only. */
            int j = 0;
            for (int i = 0; i < count[1]; ++i) {
              while (j < count[0] && seen[0][j].time_ms < seen[1][i].time_ms) ++j;
              if (j == count[0] || memcmp(&seen[0][j], &seen[1][i], sizeof seen[0][j]) != 0) {
                printf("chunk %zu: inference %d differs\\n", odd[k], i);
                return 1;
              }
            }
            if (odd[k] <= 320 && count[1] != count[0]) {
              printf("chunk %zu: %d inferences, expected %d\\n", odd[k], count[1], count[0]);
              return 1;
            }
          }
          return count[0] == (N - 480) / 320 + 1 - 48 ? 0 : 2;
        }
        """);
    List<String> cmd = new ArrayList<>(List.of("gcc"));
    cmd.addAll(NativeBuild.SANITIZE);
    cmd.addAll(List.of("-o", "chunks"));
    cmd.addAll(SOURCES);
    NativeBuild.Result build = NativeBuild.exec(dir, cmd);
    assertThat(build.output()).isEmpty();
    NativeBuild.Result r = NativeBuild.exec(dir, List.of(dir.resolve("chunks").toString()));
    assertThat(r.output()).isEmpty();
    assertThat(r.exit()).isZero();
  }

  /** Everything after the first line (which names the file as each tool was given it). */
  private static List<String> tail(String out) {
    List<String> lines = Arrays.asList(out.split("\n"));
    return lines.subList(1, lines.size());
  }
}
