package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.frontend.onnx.OnnxWriter;
import io.kiln.frontend.tflite.TfliteWriter;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln export}: writes a model's IR as an ONNX model (QDQ for quantized graphs, NCHW at
 * the boundaries) or as a TFLite flatbuffer, all or nothing.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Write MODEL as an ONNX model or a TFLite flatbuffer.")
final class ExportCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL",
      description = "A .tflite file, a .onnx file or builtin:NAME (see 'kiln builtins').")
  String model;

  @Option(names = "--format", required = true, paramLabel = "onnx|tflite",
      description = "Output format: onnx (opset " + OnnxWriter.OPSET + ", QDQ) or tflite.")
  String format;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
      description = "The file to write; nothing is left behind on failure.")
  Path output;

  @Override
  public Integer call() throws IOException {
    String f = format.toLowerCase(Locale.ROOT);
    if (!f.equals("onnx") && !f.equals("tflite")) {
      throw new KilnException("unknown export format '" + format + "': expected onnx or tflite");
    }
    if (Files.isDirectory(output)) {
      throw new KilnException("cannot write " + output + ": it is a directory");
    }
    Graph g = ModelSource.load(model);
    // Serialize fully before touching the file system, so an unsupported operator writes nothing.
    byte[] bytes = f.equals("onnx") ? OnnxWriter.write(g) : TfliteWriter.write(g);
    RunCommand.writeAtomically(output, bytes);
    PrintWriter out = spec.commandLine().getOut();
    out.println("wrote " + output + " (" + f + ", " + bytes.length + " bytes, "
        + g.nodes().size() + " operators)");
    out.flush();
    return 0;
  }
}
