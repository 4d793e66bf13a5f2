package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.quantize.CalibrationData;
import io.kiln.quantize.PostTrainingQuantizer;
import io.kiln.quantize.QuantizationReport;
import io.kiln.quantize.QuantizeOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln quantize}: float model plus calibration inputs → int8 model, with a per-layer SQNR
 * and output-agreement report against the float model.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = {
        "Quantize a float MODEL to int8 with calibration inputs (post-training quantization).",
        "Calibration files hold raw little-endian float32 samples, each sample every model input"
            + " in input order; a file may hold many samples back to back, a directory"
            + " contributes all its files in name order. Prints the SQNR of every layer and the"
            + " output agreement with the float model on the --eval inputs (default: the"
            + " calibration inputs)."})
final class QuantizeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "A float .tflite or .onnx file.")
  String model;

  @Option(names = "--calibration", required = true, paramLabel = "FILE|DIR",
      description = "Calibration samples (raw float32).")
  Path calibration;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
      description = "Where to write the int8 model: " + ModelOutput.HELP + ".")
  Path output;

  @Option(names = "--per-channel",
      description = "One weight scale per output channel (default: one per tensor).")
  boolean perChannel;

  @Option(names = "--observer", paramLabel = "minmax|percentile|mse", defaultValue = "minmax",
      converter = ObserverConverter.class,
      description = "How activation ranges are chosen (default: ${DEFAULT-VALUE}).")
  QuantizeOptions.Observer observer;

  @Option(names = "--percentile", paramLabel = "P", defaultValue = "99.99",
      description = "Values kept inside the range by --observer percentile, in percent"
          + " (default: ${DEFAULT-VALUE}).")
  double percentile;

  @Option(names = "--scales", paramLabel = "any|pow2", defaultValue = "any",
      converter = ScaleConverter.class,
      description = "pow2 rounds every scale to a power of two for shift-only requantization"
          + " (default: ${DEFAULT-VALUE}).")
  QuantizeOptions.ScaleMode scales;

  @Option(names = "--weights", paramLabel = "int8|ternary", defaultValue = "int8",
      converter = WeightConverter.class,
      description = "Weight format; ternary is {-1,0,+1} x a scale per output channel"
          + " (default: ${DEFAULT-VALUE}).")
  QuantizeOptions.WeightFormat weights;

  @Option(names = "--io", paramLabel = "int8|float", defaultValue = "int8",
      converter = IoConverter.class,
      description = "Input/output type of the result; float adds Quantize/Dequantize at the"
          + " boundary (default: ${DEFAULT-VALUE}).")
  QuantizeOptions.IoType io;

  @Option(names = "--eval", paramLabel = "FILE|DIR",
      description = "Inputs for the report, in the calibration format (default: the calibration"
          + " inputs).")
  Path eval;

  @Override
  public Integer call() throws IOException {
    if (!(percentile > 50 && percentile <= 100)) {
      throw new KilnException("--percentile must be in (50, 100], got " + percentile);
    }
    ModelOutput.check(output);
    Graph floatGraph = ModelSource.load(model);
    PostTrainingQuantizer.requireFloat(floatGraph);
    List<List<Tensor>> samples = CalibrationData.read(floatGraph, calibration);
    List<List<Tensor>> evalSamples = eval == null ? samples
        : CalibrationData.read(floatGraph, eval);
    QuantizeOptions options = new QuantizeOptions(perChannel, observer, percentile, scales,
        weights, io);
    Graph quantized = PostTrainingQuantizer.quantize(floatGraph, samples, options);
    QuantizationReport report = QuantizationReport.compare(floatGraph, quantized, evalSamples);

    PrintWriter out = spec.commandLine().getOut();
    out.printf("quantized %s with %d calibration sample%s (%s)%n", floatGraph.name(),
        samples.size(), samples.size() == 1 ? "" : "s", describe(options));
    out.printf("report on %d %s sample%s:%n", evalSamples.size(),
        eval == null ? "calibration" : "evaluation", evalSamples.size() == 1 ? "" : "s");
    out.print(report.format());
    out.printf("wrote %s (%s)%n", output, ModelOutput.write(output, quantized));
    out.flush();
    return 0;
  }

  private static String describe(QuantizeOptions o) {
    return (o.perChannel() || o.weights() == QuantizeOptions.WeightFormat.TERNARY
        ? "per-channel" : "per-tensor") + " " + o.weights().name().toLowerCase(Locale.ROOT)
        + " weights, " + o.observer().name().toLowerCase(Locale.ROOT) + " observer"
        + (o.observer() == QuantizeOptions.Observer.PERCENTILE ? " " + o.percentile() + "%" : "")
        + ", " + o.scales().name().toLowerCase(Locale.ROOT) + " scales, "
        + o.io().name().toLowerCase(Locale.ROOT) + " I/O";
  }

  /** Case-insensitive enum values named as the help text spells them. */
  abstract static class LowerCaseEnum<E extends Enum<E>> implements CommandLine.ITypeConverter<E> {
    private final Class<E> type;

    LowerCaseEnum(Class<E> type) {
      this.type = type;
    }

    @Override
    public E convert(String value) {
      for (E e : type.getEnumConstants()) {
        if (e.name().equalsIgnoreCase(value)) {
          return e;
        }
      }
      StringBuilder names = new StringBuilder();
      for (E e : type.getEnumConstants()) {
        names.append(names.length() > 0 ? ", " : "").append(e.name().toLowerCase(Locale.ROOT));
      }
      throw new CommandLine.TypeConversionException("'" + value + "' is not one of " + names);
    }
  }

  static final class ObserverConverter extends LowerCaseEnum<QuantizeOptions.Observer> {
    ObserverConverter() {
      super(QuantizeOptions.Observer.class);
    }
  }

  static final class ScaleConverter extends LowerCaseEnum<QuantizeOptions.ScaleMode> {
    ScaleConverter() {
      super(QuantizeOptions.ScaleMode.class);
    }
  }

  static final class WeightConverter extends LowerCaseEnum<QuantizeOptions.WeightFormat> {
    WeightConverter() {
      super(QuantizeOptions.WeightFormat.class);
    }
  }

  static final class IoConverter extends LowerCaseEnum<QuantizeOptions.IoType> {
    IoConverter() {
      super(QuantizeOptions.IoType.class);
    }
  }
}
