package io.kiln.frontend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kiln.KilnException;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.ir.Verifier;
import io.kiln.testing.FuzzSeeds;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the ONNX reader (Jazzer), seeded from the ONNX node-test models and
 * an ONNX export of a real int8 model: any bytes give a verified graph or one clean
 * {@link KilnException}, within the timeout.
 */
class OnnxFuzzTest {
  @BeforeAll
  static void seed() throws IOException {
    if (!FuzzSeeds.fuzzing()) {
      return;
    }
    List<Path> seeds = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(SharedModels.file("onnx-node"))) {
      List<Path> all = dirs.sorted().map(d -> d.resolve("model.onnx"))
          .filter(Files::isRegularFile).toList();
      // Every node test is small; the short run takes every eighth so that it starts quickly.
      for (int i = 0; i < all.size(); i++) {
        if (FuzzSeeds.allSeeds() || i % 8 == 0) {
          seeds.add(all.get(i));
        }
      }
    }
    // A whole quantized network, as Kiln's own writer exports it (into the corpus directory's
    // parent, under target/, removed again once copied).
    Graph kws = TfliteImporter.load(
        SharedModels.file("tflm/micro_speech/micro_speech_quantized.tflite"));
    Path exported = Files.createTempFile("kiln-fuzz-seed", ".onnx");
    try {
      seeds.add(Files.write(exported, OnnxWriter.write(kws)));
      FuzzSeeds.seed(OnnxFuzzTest.class, "importOrRejectCleanly", seeds);
    } finally {
      Files.deleteIfExists(exported);
    }
  }

  @FuzzTest(maxDuration = "5s")
  void importOrRejectCleanly(byte[] data) {
    Graph g;
    try {
      g = OnnxImporter.load(data, "fuzz");
    } catch (KilnException e) {
      FuzzSeeds.checkRejection(e);
      return;
    }
    assertThat(Verifier.check(g)).isEmpty();
  }
}
