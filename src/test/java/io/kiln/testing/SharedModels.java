package io.kiln.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code ../shared/models} (the real models and reference outputs CI has beside the
 * checkout). Tests that need them call {@link #root()} or {@link #file}, which skip the test with
 * a message saying where the models are expected when they are absent — except in CI
 * ({@code CI=true}), where the models are always laid beside the checkout, so their absence
 * fails the test instead of letting a whole class of checks pass silently.
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
    return availableAt(expectedLocation());
  }

  private static boolean availableAt(Path models) {
    return Files.isDirectory(models.resolve("mlperf-tiny"));
  }

  /** Whether this run is CI's, where a missing shared model is a failure, not a skip. */
  public static boolean requiredByCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** Skips the calling test unless the shared models are present (fails it in CI). */
  public static Path root() {
    return root(expectedLocation(), requiredByCi());
  }

  /** {@link #root()} for a given location and CI flag (tests of this class pass their own). */
  static Path root(Path models, boolean ci) {
    String why = "shared models not found: expected them at " + models
        + " (a checkout of the project's shared/ beside this repository, or -Dkiln.shared=DIR)";
    if (ci && !availableAt(models)) {
      throw new AssertionError(why + "; CI=true, so this is a failure, not a skip");
    }
    assumeTrue(availableAt(models), why);
    return models;
  }

  /** A file under {@code shared/models}; a missing one fails in CI and skips elsewhere. */
  public static Path file(String relative) {
    Path f = root().resolve(relative);
    if (!Files.exists(f)) {
      String why = "shared model " + relative + " not found at " + f;
      if (requiredByCi()) {
        throw new AssertionError(why + "; CI=true, so this is a failure, not a skip");
      }
      assumeTrue(false, why);
    }
    return f;
  }
}
