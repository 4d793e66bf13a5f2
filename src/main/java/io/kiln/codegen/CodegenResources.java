package io.kiln.codegen;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The C files every backend copies as they are (runtime headers, drivers, build files, boards). */
public final class CodegenResources {
  private CodegenResources() {}

  /** A resource under {@code io/kiln/codegen/} as text. */
  public static String text(String name) {
    try (InputStream in = CodegenResources.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
