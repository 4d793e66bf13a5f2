package io.kiln.plan.tiling;

import com.google.ortools.Loader;
import io.kiln.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Loads OR-Tools' native library once per JVM, on first use, and turns a failure into one
 * sentence. Only {@link CpSatSolver} needs it, so the other solvers never pay for the load.
 *
 * <p>OR-Tools unpacks its libraries (about 70 MB) into a fresh temporary directory on every load
 * and leaves it behind. On Linux a loaded library stays mapped after its file is unlinked, so the
 * directory is removed right after loading; it is found through {@code /proc/self/maps}, which
 * names this process's own copy and never another JVM's.
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
    } catch (RuntimeException | LinkageError e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
      return Optional.of("OR-Tools' native library did not load (" + message.strip().replaceAll("\\s*\\R\\s*", "; ")
          + ")");
    }
    removeUnpackedCopy();
    return Optional.empty();
  }

  /**
   * The {@code ortools-java*} directory directly inside the temporary directory that holds
   * {@code library}; empty for a library loaded from anywhere else (a system path is never touched).
   */
  static Optional<Path> unpackedUnder(Path library) {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
    for (Path d = library.toAbsolutePath().normalize().getParent(); d != null; d = d.getParent()) {
      if (tmp.equals(d.getParent())) {
        return d.getFileName().toString().startsWith("ortools-java") ? Optional.of(d) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static void removeUnpackedCopy() {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return;
    }
    try (Stream<String> lines = Files.lines(maps)) {
      // address perms offset dev inode path: the path is the sixth field and may hold spaces.
      Optional<Path> dir = lines.map(line -> line.strip().split("\\s+", 6))
          .filter(fields -> fields.length == 6 && fields[5].endsWith("/" + System.mapLibraryName("jniortools")))
          .map(fields -> fields[5])
          .map(file -> unpackedUnder(Path.of(file)))
          .flatMap(Optional::stream)
          .findFirst();
      if (dir.isPresent()) {
        try (Stream<Path> files = Files.walk(dir.get())) {
          for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(f);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // Best effort: a leftover copy costs disk space, never correctness.
    }
  }
}
