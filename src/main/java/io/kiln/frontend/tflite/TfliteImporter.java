package io.kiln.frontend.tflite;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import java.nio.file.Path;

/** Reads a {@code .tflite} flatbuffer into Kiln's IR. */
public final class TfliteImporter {
  private TfliteImporter() {}

  public static Graph load(Path file) {
    throw new KilnException("TFLite import is not implemented yet");
  }

  public static Graph load(byte[] bytes, String name) {
    throw new KilnException("TFLite import is not implemented yet");
  }
}
