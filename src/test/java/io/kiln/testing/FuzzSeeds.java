package io.kiln.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.KilnException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Shared plumbing of the Jazzer fuzz tests: the real files that seed each target's corpus, and
 * the invariant every target checks (any bytes give a result or one clean {@link KilnException}).
 *
 * <p>Seeds are referenced from {@code ../shared/models} and copied into Jazzer's generated corpus
 * under {@code target/} at run time, never into the source tree. Crashes Jazzer finds are written
 * to {@code src/test/resources/<package>/<Class>Inputs/<method>/}, where the plain test run
 * replays them as regression tests.
 */
public final class FuzzSeeds {
  private FuzzSeeds() {}

  /** Whether this JVM fuzzes (JAZZER_FUZZ, set by the fuzz executions of the build). */
  public static boolean fuzzing() {
    String p = System.getProperty("JAZZER_FUZZ", System.getenv("JAZZER_FUZZ"));
    return p != null && (p.equals("1") || p.equalsIgnoreCase("true"));
  }

  /**
   * Copies {@code seeds} into the generated corpus directory of {@code testClass}'s
   * {@code method} (where libFuzzer starts from) when this JVM fuzzes and the corpus is empty.
   */
  public static void seed(Class<?> testClass, String method, List<Path> seeds) {
    if (!fuzzing()) {
      return;
    }
    Path base = Path.of(System.getProperty("jazzer.internal.basedir", "")).toAbsolutePath();
    Path corpus = base.resolve(".cifuzz-corpus").resolve(testClass.getName()).resolve(method);
    try {
      Files.createDirectories(corpus);
      try (var s = Files.list(corpus)) {
        if (s.findAny().isPresent()) {
          return;
        }
      }
      int i = 0;
      for (Path seed : seeds) {
        Files.copy(seed, corpus.resolve(String.format(Locale.ROOT, "seed-%03d-%s", i++,
            seed.getFileName())));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The seed list named by {@code -Dkiln.fuzz.seeds=all}, else the small one. */
  public static boolean allSeeds() {
    return "all".equals(System.getProperty("kiln.fuzz.seeds"));
  }

  /** The invariant on a rejection: one non-blank printable line. */
  public static void checkRejection(KilnException e) {
    assertThat(e.getMessage()).isNotBlank().doesNotContain("\n").doesNotContain("\r");
  }
}
