package io.kiln.plan.tiling;

import com.google.ortools.Loader;
import io.kiln.KilnException;
import java.util.Optional;

/**
 * Loads OR-Tools' native library once per JVM, on first use, and turns a failure into one
 * sentence. Only {@link CpSatSolver} needs it, so the other solvers never pay for the load (OR-Tools
 * unpacks about 70 MB of libraries into a temporary directory, removed when the JVM exits).
 */
final class OrToolsNatives {
  private OrToolsNatives() {}

  /** Loaded by the JVM on first access, once, under the class-initialization lock. */
  private static final class Load {
    static final Optional<String> FAILURE = load(Loader::loadNativeLibraries);
  }

  /** Throws a one-line {@link KilnException} unless the native library is loaded. */
  static void require() {
    Load.FAILURE.ifPresent(reason -> {
      throw new KilnException("the CP-SAT solver is unavailable: " + reason + " (use --solver bnb)");
    });
  }

  /** Runs {@code loader}; empty on success, otherwise why it failed, in one line. */
  static Optional<String> load(Runnable loader) {
    try {
      loader.run();
      return Optional.empty();
    } catch (RuntimeException | LinkageError e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
      return Optional.of("OR-Tools' native library did not load (" + message.strip().replaceAll("\\s*\\R\\s*", "; ")
          + ")");
    }
  }
}
