package io.kiln.codegen;

import io.kiln.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes generated sources into an output directory all or nothing: files are generated in memory
 * first, and if writing one fails, those written (and the directory, if this created it) are
 * removed before the error is reported.
 */
public final class GeneratedFiles {
  private GeneratedFiles() {}

  /** Writes {@code files} (name to text) into {@code outDir}, creating it if missing. */
  public static void write(Map<String, String> files, Path outDir) {
    List<Path> written = new ArrayList<>();
    boolean created = false;
    try {
      if (!Files.isDirectory(outDir)) {
        Files.createDirectories(outDir);
        created = true;
      }
      for (Map.Entry<String, String> f : files.entrySet()) {
        Path p = outDir.resolve(f.getKey());
        Files.writeString(p, f.getValue(), StandardCharsets.UTF_8);
        written.add(p);
      }
    } catch (IOException | SecurityException e) {
      remove(written, created ? outDir : null);
      throw new KilnException("cannot write the generated C to " + outDir + ": " + e.getMessage(), e);
    }
  }

  /** Removes {@code files} of {@code outDir}, and the directory when {@code created}. */
  public static void remove(Path outDir, List<String> files, boolean created) {
    List<Path> paths = files.stream().map(outDir::resolve).toList();
    remove(paths, created ? outDir : null);
  }

  private static void remove(List<Path> written, Path dir) {
    for (Path p : written) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // Best effort: the original error is what the user needs to see.
      }
    }
    if (dir != null) {
      try {
        Files.deleteIfExists(dir);
      } catch (IOException ignored) {
        // As above.
      }
    }
  }
}
