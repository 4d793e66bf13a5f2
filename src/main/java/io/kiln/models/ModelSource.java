package io.kiln.models;

import io.kiln.KilnException;
import io.kiln.frontend.onnx.OnnxImporter;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Turns a model argument of the CLI into a {@link Graph}: {@code builtin:NAME} for the built-in
 * examples, otherwise a path whose extension picks the frontend.
 */
public final class ModelSource {
  /** What a model argument may be, for error messages. */
  public static final String ACCEPTED = "a .tflite file, a .onnx file or builtin:NAME";

  private ModelSource() {}

  public static Graph load(String spec) {
    if (spec.startsWith(Builtins.PREFIX)) {
      return Builtins.named(spec.substring(Builtins.PREFIX.length())).build();
    }
    Path file = Path.of(spec);
    String lower = file.getFileName() == null ? ""
        : file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean tflite = lower.endsWith(".tflite");
    boolean onnx = lower.endsWith(".onnx");
    if (!tflite && !onnx) {
      throw new KilnException("cannot tell the format of model '" + spec + "': expected "
          + ACCEPTED);
    }
    if (!Files.exists(file)) {
      throw new KilnException("model file not found: " + spec);
    }
    if (!Files.isRegularFile(file)) {
      throw new KilnException("model path is not a regular file: " + spec);
    }
    return onnx ? OnnxImporter.load(file) : TfliteImporter.load(file);
  }
}
