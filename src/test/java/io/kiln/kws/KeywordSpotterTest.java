package io.kiln.kws;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * WAV to scores against TFLM's own pipeline: the frames are the preprocessor reference's
 * inputs, the feature window is the micro_speech reference's input, and the scores are its
 * TFLM output, for each of the four test WAVs.
 */
class KeywordSpotterTest {
  private static Graph load(String p) {
    return TfliteImporter.load(SharedModels.file("tflm/micro_speech/" + p));
  }

  @ParameterizedTest
  @ValueSource(strings = {"yes_1000ms", "no_1000ms", "silence_1000ms", "noise_1000ms"})
  void wavGivesTflmsFeaturesAndScores(String name) throws IOException {
    Wav wav = Wav.read(SharedModels.file("tflm/micro_speech/testdata/" + name + ".wav"), 16000);
    Path ref = SharedModels.file("reference-outputs");
    KeywordSpotter k = new KeywordSpotter(load("audio_preprocessor_int8.tflite"),
        load("micro_speech_quantized.tflite"), 16000, 20);

    // The frames TFLM's reference was made from are this framing of the WAV.
    byte[] frames = Files.readAllBytes(ref.resolve("audio_preprocessor_int8/" + name
        + ".in.bin"));
    ByteBuffer fb = ByteBuffer.wrap(frames).order(ByteOrder.LITTLE_ENDIAN);
    for (int f = 0; f < frames.length / (2 * k.windowSamples()); f++) {
      for (int i = 0; i < k.windowSamples(); i++) {
        assertThat(fb.getShort()).isEqualTo(wav.samples()[f * k.strideSamples() + i]);
      }
    }

    List<KeywordSpotter.Inference> runs = k.run(wav.samples(), Recognizer.MICRO_SPEECH);
    assertThat(runs).hasSize(1);
    assertThat(runs.get(0).features()).isEqualTo(Files.readAllBytes(
        ref.resolve("micro_speech_quantized/" + name + ".in.bin")));
    byte[] scores = Files.readAllBytes(ref.resolve("micro_speech_quantized/" + name
        + ".out.tflm.bin"));
    for (int i = 0; i < scores.length; i++) {
      assertThat(runs.get(0).scores()[i]).isEqualTo(scores[i]);
    }
  }
}
