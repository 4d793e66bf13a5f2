package io.kiln.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden-file assertions under {@code src/test/resources/golden}. Run the tests with
 * {@code -Dgolden.update=true} to accept new output (then review the diff in git).
 */
public final class Golden {
  private static final Path DIR = Path.of("src", "test", "resources", "golden");

  private Golden() {}

  public static boolean updating() {
    return Boolean.parseBoolean(System.getProperty("golden.update", "false"));
  }

  /** Compares {@code actual} with the golden file {@code name} (a path under the golden dir). */
  public static void assertMatches(String name, String actual) {
    Path file = DIR.resolve(name);
    try {
      if (updating() || !Files.exists(file)) {
        Files.createDirectories(file.getParent());
        Files.writeString(file, actual, StandardCharsets.UTF_8);
        if (!updating()) {
          throw new AssertionError("golden file " + file + " did not exist; it was written now."
              + " Review it and run again (or use -Dgolden.update=true to accept changes).");
        }
        return;
      }
      String expected = Files.readString(file, StandardCharsets.UTF_8);
      assertThat(actual)
          .as("golden %s differs (rerun with -Dgolden.update=true to accept)", file)
          .isEqualTo(expected);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
