package io.kiln.target;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kiln.KilnException;
import io.kiln.testing.FuzzSeeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the hardware-description loader (Jazzer), seeded from the presets:
 * any text gives a validated description or one clean {@link KilnException}, within the timeout.
 */
class HardwareFuzzTest {
  @BeforeAll
  static void seed() throws IOException {
    if (!FuzzSeeds.fuzzing()) {
      return;
    }
    Path dir = Files.createTempDirectory("kiln-fuzz-hw");
    try {
      List<Path> seeds = new ArrayList<>();
      for (String preset : List.of("cpu", "diana", "dla")) {
        seeds.add(Files.writeString(dir.resolve(preset + ".yaml"),
            Presets.commentedYaml(preset).orElseThrow()));
        seeds.add(Files.writeString(dir.resolve(preset + "-plain.yaml"),
            HardwareWriter.toYaml(Presets.get(preset))));
      }
      FuzzSeeds.seed(HardwareFuzzTest.class, "loadOrRejectCleanly", seeds);
    } finally {
      try (var s = Files.list(dir)) {
        for (Path p : s.toList()) {
          Files.delete(p);
        }
      } catch (UncheckedIOException e) {
        // Best effort: a temporary directory left behind is harmless.
      }
      Files.deleteIfExists(dir);
    }
  }

  @FuzzTest(maxDuration = "5s")
  void loadOrRejectCleanly(byte[] data) {
    try {
      HardwareLoader.parse(new String(data, StandardCharsets.UTF_8), "fuzz.yaml");
    } catch (KilnException e) {
      FuzzSeeds.checkRejection(e);
    }
  }
}
