package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code kiln kws} end to end on the micro_speech WAVs, and its refusals of bad WAVs. */
class KwsCommandTest {
  @TempDir
  Path tmp;

  private static String ms(String f) {
    return SharedModels.file("tflm/micro_speech/" + f).toString();
  }

  private static CliRunner.Result kws(String wav, String... more) {
    String[] args = {"kws", wav, "--frontend", ms("audio_preprocessor_int8.tflite"), "--model",
        ms("micro_speech_quantized.tflite")};
    String[] all = Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return kiln(all);
  }

  @ParameterizedTest
  @CsvSource({"yes_1000ms,yes", "no_1000ms,no", "silence_1000ms,silence", "noise_1000ms,silence"})
  void theFourTestWavsGiveTflmsLabels(String wav, String label) {
    CliRunner.Result r = kws(ms("testdata/" + wav + ".wav"));
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("49 frames of features per inference")
        .contains("   990 ms  silence=").endsWith("label: " + label + "\n");
  }

  /** yes, then a second of silence, then no: one inference per frame, commands as they come. */
  @Test
  void aLongerRecordingSlidesTheWindowAndReportsCommands() throws IOException {
    byte[] yes = pcm(ms("testdata/yes_1000ms.wav"));
    byte[] silence = pcm(ms("testdata/silence_1000ms.wav"));
    byte[] no = pcm(ms("testdata/no_1000ms.wav"));
    ByteBuffer all = ByteBuffer.allocate(yes.length + silence.length + no.length);
    all.put(yes).put(silence).put(no);
    Path wav = tmp.resolve("yes_silence_no.wav");
    Files.write(wav, io.kiln.testing.TestWavs.wav(1, 1, 16000, 16, all.array(), false));
    CliRunner.Result r = kws(wav.toString());
    assertThat(r.code()).as(r.err()).isZero();
    long inferences = r.out().lines().filter(l -> l.contains(" ms  silence=")).count();
    assertThat(inferences).isEqualTo(149 - 49 + 1);
    assertThat(r.out()).contains("COMMAND yes").contains("COMMAND no");
    assertThat(r.out().indexOf("COMMAND yes")).isLessThan(r.out().indexOf("COMMAND no"));
  }

  private static byte[] pcm(String wav) throws IOException {
    byte[] b = Files.readAllBytes(Path.of(wav));
    return Arrays.copyOfRange(b, 44, b.length); // these files have the canonical 44-byte header
  }

  @Test
  void badWavsAreOneLineAndExitTwo() throws IOException {
    byte[] samples = new byte[32000];
    Path[] bad = {
        Files.write(tmp.resolve("empty.wav"), new byte[0]),
        Files.write(tmp.resolve("truncated.wav"), Arrays.copyOf(
            Files.readAllBytes(Path.of(ms("testdata/yes_1000ms.wav"))), 30)),
        Files.write(tmp.resolve("8bit.wav"), io.kiln.testing.TestWavs.wav(1, 1, 16000, 8, samples,
            false)),
        Files.write(tmp.resolve("stereo.wav"), io.kiln.testing.TestWavs.wav(1, 2, 16000, 16, samples,
            false)),
        Files.write(tmp.resolve("44k.wav"), io.kiln.testing.TestWavs.wav(1, 1, 44100, 16, samples,
            false)),
        Files.write(tmp.resolve("short.wav"), io.kiln.testing.TestWavs.wav(1, 1, 16000, 16,
            new byte[3200], false)),
        tmp.resolve("missing.wav")};
    String[] expect = {"is empty", "truncated WAV header", "8-bit samples", "2 channels",
        "44100 Hz", "the model needs 49", "missing.wav"};
    for (int i = 0; i < bad.length; i++) {
      CliRunner.Result r = kws(bad[i].toString());
      assertThat(r.code()).as(bad[i].toString()).isEqualTo(2);
      assertThat(r.err()).as(bad[i].toString()).startsWith("kiln: ").contains(expect[i])
          .hasLineCount(1);
      assertThat(r.out()).isEmpty();
    }
  }

  @Test
  void compileOfThePairWritesTheStreamingLibrary() {
    Path out = tmp.resolve("lib");
    CliRunner.Result r = kiln("compile", ms("micro_speech_quantized.tflite"), "--frontend",
        ms("audio_preprocessor_int8.tflite"), "-o", out.toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("front-end audio_preprocessor_int8").contains("state   160 B");
    for (String f : new String[] {"kiln_kws.h", "kiln_kws.c", "main_kws.c", "kiln_fe_model.c",
        "kiln_nn_model.c", "kiln_kws_config.h", "Makefile"}) {
      assertThat(out.resolve(f)).exists();
    }
    CliRunner.Result bad = kiln("compile", ms("micro_speech_quantized.tflite"), "--frontend",
        ms("audio_preprocessor_int8.tflite"), "-o", tmp.resolve("lib2").toString(), "--labels",
        "a,b,c");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).isEqualTo("kiln: --labels names 3 classes, the model scores 4\n");
    assertThat(tmp.resolve("lib2")).doesNotExist();
  }

  @Test
  void wrongLabelCountOrStrideIsOneLine() {
    CliRunner.Result r = kws(ms("testdata/yes_1000ms.wav"), "--labels", "a,b");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("kiln: --labels names 2 classes, the model scores 4\n");
    r = kws(ms("testdata/yes_1000ms.wav"), "--stride-ms", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("kiln: --stride-ms 0");
  }
}
