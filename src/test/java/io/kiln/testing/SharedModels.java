package io.kiln.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code ../shared/models} (the real models and reference outputs CI has beside the
 * checkout). Tests that need them call {@link #root()}, which skips the test with a message
 * saying where the models are expected when they are absent.
 */
public final class SharedModels {
  private SharedModels() {}

  /** The {@code shared/models} directory; override with {@code -Dkiln.shared=DIR}. */
  public static Path expectedLocation() {
    String prop = System.getProperty("kiln.shared");
    Path shared = prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("..", "shared");
    return shared.resolve("models").toAbsolutePath().normalize();
  }

  public static boolean available() {
    return Files.isDirectory(expectedLocation().resolve("mlperf-tiny"));
  }

  /** Skips the calling test unless the shared models are present. */
  public static Path root() {
    Path p = expectedLocation();
    assumeTrue(available(), "shared models not found: expected them at " + p
        + " (a checkout of the project's shared/ beside this repository, or -Dkiln.shared=DIR)");
    return p;
  }

  public static Path file(String relative) {
    return root().resolve(relative);
  }
}
