package io.kiln.cli;

import io.kiln.InputFiles;
import io.kiln.KilnException;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.prune.LayerSelection;
import io.kiln.prune.PruneReport;
import io.kiln.prune.Pruning;
import io.kiln.quantize.CalibrationData;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln prune}: N:M magnitude pruning of a float or int8 model's conv and fully-connected
 * weights, with a per-layer SQNR and output-agreement report against the unpruned model.
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = {
        "Prune MODEL's weights to N:M sparsity: in every group of M consecutive weights of an"
            + " output channel, along the reduction in the kernels' order (conv: FY, FX, C with"
            + " C fastest), only the N largest in magnitude stay. No retraining: the report"
            + " shows what that costs, per layer (SQNR of its output) and at the output.",
        "A float model stays float (quantize it afterwards; the pattern survives and is"
            + " recognized); int8 weights keep their scales and get the N:M encoding."})
final class PruneCommand implements Callable<Integer> {
  /** The formats the sparse kernels take. */
  static final List<String> FORMATS = List.of("1:4", "1:8", "1:16");

  /** Seeded random report inputs without --calibration or --samples. */
  static final int DEFAULT_SAMPLES = 32;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "A .tflite or .onnx file, or"
      + " builtin:NAME.")
  String model;

  @Option(names = "--nm", required = true, paramLabel = "1:4|1:8|1:16",
      description = "The N:M format.")
  String nm;

  @Option(names = "--layers", paramLabel = "conv|conv3x3|pointwise|fc|all|NAME,...",
      defaultValue = "all", description = "Which layers: conv (every Conv2D), conv3x3 (Conv2D"
          + " with a spatial kernel), pointwise (1x1 Conv2D), fc, all, or output value names;"
          + " comma-separated (default: ${DEFAULT-VALUE}).")
  String layers;

  @Option(names = "--calibration", paramLabel = "FILE|DIR",
      description = "Inputs for the report: raw little-endian samples in the model's input"
          + " types (float32 for a float model), back to back (default: --samples seeded random"
          + " inputs).")
  Path calibration;

  @Option(names = "--samples", paramLabel = "N",
      description = "Seeded random inputs for the report without --calibration (default: "
          + PruneCommand.DEFAULT_SAMPLES + ").")
  Integer samples;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
      description = "Where to write the pruned model (the dense equivalent: zeros stored): "
          + ModelOutput.HELP + ".")
  Path output;

  @Override
  public Integer call() throws IOException {
    Encoding.NM format = parseFormat(nm);
    LayerSelection selection = LayerSelection.parse(layers);
    if (samples != null && calibration != null) {
      throw new KilnException("give either --calibration or --samples, not both (--samples draws"
          + " random report inputs in place of calibration data)");
    }
    int count = samples == null ? DEFAULT_SAMPLES : samples;
    if (count < 1 || count > 100_000) {
      throw new KilnException("--samples must be in 1..100000, got " + count);
    }
    ModelOutput.check(output);
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(model));
    Pruning.Result result = Pruning.apply(g, format, selection);
    List<List<Tensor>> inputs = calibration != null ? readSamples(g, calibration)
        : randomSamples(g, count);
    PruneReport report = PruneReport.compare(g, result, inputs);

    PrintWriter out = spec.commandLine().getOut();
    out.printf("pruned %d layer%s of %s to %s; report on %d %s input%s:%n",
        result.layers().size(), result.layers().size() == 1 ? "" : "s", g.name(), format,
        inputs.size(), calibration != null ? "calibration" : "seeded random",
        inputs.size() == 1 ? "" : "s");
    out.print(report.format());
    out.printf("wrote %s (%s)%n", output, ModelOutput.write(output, result.graph()));
    out.flush();
    return 0;
  }

  static Encoding.NM parseFormat(String s) {
    if (!FORMATS.contains(s.strip())) {
      throw new KilnException("--nm " + s + " is not supported: the sparse kernels take "
          + String.join(", ", FORMATS) + " (one non-zero in every group of 4, 8 or 16)");
    }
    String[] p = s.strip().split(":");
    return new Encoding.NM(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
  }

  private static List<List<Tensor>> readSamples(Graph g, Path path) {
    boolean allFloat = g.inputValues().stream().allMatch(v -> v.dtype() == DType.FLOAT32);
    if (allFloat) {
      return CalibrationData.read(g, path);
    }
    if (!Files.isRegularFile(path)) {
      throw new KilnException("--calibration " + path + " is not a file (an integer model's"
          + " inputs are one file of raw samples)");
    }
    byte[] bytes = InputFiles.read(path, "calibration file", 512L << 20);
    long per = 0;
    for (Value v : g.inputValues()) {
      per += v.type().bytes();
    }
    if (per == 0 || bytes.length == 0 || bytes.length % per != 0) {
      throw new KilnException("calibration file " + path + " has " + bytes.length
          + " bytes, not a positive multiple of one sample (" + per + " bytes)");
    }
    List<List<Tensor>> out = new ArrayList<>();
    for (int at = 0; at < bytes.length; ) {
      List<Tensor> sample = new ArrayList<>();
      for (Value v : g.inputValues()) {
        int n = (int) v.type().bytes();
        sample.add(Tensor.fromBytes(v.dtype(), v.shape(), Arrays.copyOfRange(bytes, at, at + n)));
        at += n;
      }
      out.add(sample);
    }
    return out;
  }

  /** Integers uniform over their dtype's range, floats uniform in [-1, 1), seed 1. */
  private static List<List<Tensor>> randomSamples(Graph g, int count) {
    SplittableRandom rng = new SplittableRandom(1);
    List<List<Tensor>> out = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      List<Tensor> sample = new ArrayList<>();
      for (Value v : g.inputValues()) {
        int n = v.type().elements();
        ByteBuffer b = ByteBuffer.allocate(n * v.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < n; k++) {
          switch (v.dtype()) {
            case INT8, UINT8, BOOL -> b.put((byte) rng.nextInt(v.dtype() == DType.BOOL ? 2 : 256));
            case INT16 -> b.putShort((short) rng.nextInt(65536));
            case INT32, UINT32 -> b.putInt(rng.nextInt());
            case INT64, UINT64 -> b.putLong(rng.nextLong());
            case FLOAT32 -> b.putFloat((float) (rng.nextDouble() * 2 - 1));
          }
        }
        sample.add(Tensor.fromBytes(v.dtype(), v.shape(), b.array()));
      }
      out.add(sample);
    }
    return out;
  }
}
