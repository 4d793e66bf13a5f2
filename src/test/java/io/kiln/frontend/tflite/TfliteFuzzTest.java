package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Verifier;
import io.kiln.testing.FuzzSeeds;
import io.kiln.testing.SharedModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the TFLite reader (Jazzer), seeded from the real models: any bytes
 * give a verified graph or one clean {@link KilnException}, within the timeout. The plain test run
 * replays the committed inputs; the build's fuzz execution fuzzes for a few seconds and
 * {@code bench/fuzz.sh} for minutes.
 */
class TfliteFuzzTest {
  static final List<String> SMALL = List.of("tflm/hello_world/hello_world_int8.tflite",
      "tflm/hello_world/hello_world_float.tflite", "tflm/micro_speech/micro_speech_quantized.tflite",
      "tflm/micro_speech/audio_preprocessor_int8.tflite", "tflm/seanet/add/add0.tflite",
      "tflm/seanet/conv/conv0.tflite", "tflm/seanet/transpose_conv/transpose_conv0.tflite",
      "tflm/seanet/strided_slice/strided_slice0.tflite", "tflm/seanet/pad/pad0.tflite");
  static final List<String> LARGE = List.of("mlperf-tiny/kws_ref_model.tflite",
      "mlperf-tiny/kws_ref_model_float32.tflite", "mlperf-tiny/pretrainedResnet_quant.tflite",
      "mlperf-tiny/ad01_int8.tflite", "mlperf-tiny/vww_96_int8.tflite",
      "tflm/person_detection/person_detect.tflite");

  @BeforeAll
  static void seed() {
    List<Path> seeds = new ArrayList<>();
    for (String s : FuzzSeeds.allSeeds() ? concat(SMALL, LARGE) : SMALL) {
      seeds.add(SharedModels.file(s));
    }
    FuzzSeeds.seed(TfliteFuzzTest.class, "importOrRejectCleanly", seeds);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  @FuzzTest(maxDuration = "5s")
  void importOrRejectCleanly(byte[] data) {
    Graph g;
    try {
      g = TfliteImporter.load(data, "fuzz");
    } catch (KilnException e) {
      FuzzSeeds.checkRejection(e);
      return;
    }
    assertThat(Verifier.check(g)).isEmpty();
  }
}
