package io.kiln.target;

import io.kiln.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves what a user gives to {@code --target}: a preset name (with parameters for
 * {@code dla}) or the path of a YAML hardware file. A preset name wins over a file of the same
 * name in the working directory; write {@code ./cpu} for the file.
 */
public final class Targets {
  private Targets() {}

  public static HardwareDescription resolve(String nameOrPath) {
    String s = nameOrPath.strip();
    if (s.isEmpty()) {
      throw new KilnException("empty target (presets: " + String.join(", ", Presets.names())
          + "; or a .yaml file)");
    }
    if (Presets.isPreset(s)) {
      return Presets.get(s);
    }
    Path p = Path.of(s);
    if (looksLikeFile(s) || Files.exists(p)) {
      return HardwareLoader.load(p);
    }
    throw new KilnException("unknown target '" + s + "' (presets: "
        + String.join(", ", Presets.names()) + "; or the path of a .yaml hardware file)");
  }

  private static boolean looksLikeFile(String s) {
    return s.endsWith(".yaml") || s.endsWith(".yml") || s.contains("/")
        || s.contains(java.io.File.separator);
  }
}
