package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.frontend.onnx.OnnxWriter;
import io.kiln.frontend.tflite.TfliteWriter;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphPrinter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The model file a transforming command ({@code kiln prune}, {@code kiln quantize}) writes: its
 * format chosen by the extension (a {@code .tflite} flatbuffer, an {@code .onnx} model, else
 * Kiln's canonical text form), and its path checked before the work starts, so a path that
 * cannot be written is one line naming it rather than a failure after the report.
 */
final class ModelOutput {
  /** The {@code -o} help text of a command that writes a model with this class. */
  static final String HELP = "a .tflite flatbuffer when OUT ends in .tflite, an ONNX model (QDQ)"
      + " when it ends in .onnx, else Kiln's canonical text form (for reading, not loadable)";

  private ModelOutput() {}

  /** Fails with one line unless {@code out} can be written (not a directory, its directory exists). */
  static void check(Path out) {
    if (out.toString().isEmpty()) {
      throw new KilnException("-o: the output path is empty");
    }
    SimulateCommand.checkWritable(out);
  }

  /** Writes {@code g} to {@code out} in the format its name says, all or nothing; returns that format. */
  static String write(Path out, Graph g) throws IOException {
    String name = out.getFileName() == null ? ""
        : out.getFileName().toString().toLowerCase(Locale.ROOT);
    // Serialize fully before touching the file system, so a writer's refusal leaves nothing.
    if (name.endsWith(".tflite")) {
      RunCommand.writeAtomically(out, TfliteWriter.write(g));
      return "TFLite flatbuffer";
    }
    if (name.endsWith(".onnx")) {
      RunCommand.writeAtomically(out, OnnxWriter.write(g));
      return "ONNX model";
    }
    RunCommand.writeAtomically(out, GraphPrinter.print(g).getBytes(StandardCharsets.UTF_8));
    return "canonical text form";
  }
}
