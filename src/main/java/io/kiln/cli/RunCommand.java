package io.kiln.cli;

import io.kiln.InputFiles;
import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Value;
import io.kiln.models.ModelSource;
import io.kiln.plan.lower.Lowered;
import io.kiln.plan.lower.LoweringReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln run}: executes a model on the reference interpreter with raw little-endian input
 * files and writes raw output files, the conventions of {@code shared/models/reference-outputs}.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {
        "Run MODEL on Kiln's reference interpreter.",
        "Input files hold raw little-endian tensors, one file per model input in the model's"
            + " input order; with --batch N each file holds N samples back to back, run in"
            + " order. Writes DIR/output<i>.bin per model output (all samples concatenated)."})
final class RunCommand implements Callable<Integer> {
  /** Classifier results printed per run; the output file has them all. */
  private static final int SUMMARY_SAMPLES = 10;
  /**
   * The most bytes of inputs and outputs one run holds in memory (all samples are kept until the
   * run succeeds, so that a failing run writes nothing).
   */
  static final long MAX_BATCH_BYTES = 512L << 20;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL",
      description = "A .tflite file or builtin:NAME (see 'kiln builtins').")
  String model;

  @Option(names = "--input", paramLabel = "FILE",
      description = "Raw input tensor file; repeat once per model input, in input order.")
  List<Path> inputs = new ArrayList<>();

  @Option(names = "--random-input", paramLabel = "SEED",
      description = "Use deterministic random inputs from SEED instead of files (also written"
          + " to DIR/input<i>.bin).")
  Long randomSeed;

  @Option(names = "--output-dir", paramLabel = "DIR", required = true,
      description = "Directory for output<i>.bin (created if missing).")
  Path outputDir;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "1",
      description = "Samples per input file (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--no-opt",
      description = "Run the model as imported, without the graph optimization passes.")
  boolean noOpt;

  @Option(names = "--target", paramLabel = "T",
      description = "Run what target T computes: dispatch and plan as 'kiln plan' does, then"
          + " the target-exact lowered graph (a preset: cpu, diana, dla[:...], systolic[:...], or"
          + " a .yaml hardware file).")
  String target;

  @Option(names = "--policy", paramLabel = "P",
      description = "With --target: first|digital|analog|weights|mixed|lowest-cycles.")
  String policy;

  @Option(names = "--ternarize",
      description = "With --target: ternarize the int8 weights of layers on ternary arrays and"
          + " narrow their inputs (CHANGES ACCURACY).")
  boolean ternarize;

  @Option(names = "--lowering-report",
      description = "With --target: also run the int8 graph and print each rewritten layer's"
          + " SQNR and the outputs' agreement.")
  boolean loweringReport;

  @Override
  public Integer call() throws IOException {
    if (batch < 1) {
      throw new KilnException("--batch must be at least 1, got " + batch);
    }
    if (randomSeed != null && !inputs.isEmpty()) {
      throw new KilnException("give either --input files or --random-input, not both");
    }
    // Checked before the (possibly long) run rather than discovered when writing the results.
    if (Files.exists(outputDir) && !Files.isDirectory(outputDir)) {
      throw new KilnException("--output-dir " + outputDir + " exists and is not a directory");
    }
    if (target == null && (policy != null || ternarize || loweringReport)) {
      throw new KilnException("--policy, --ternarize and --lowering-report need --target");
    }
    Graph g = ModelSource.load(model);
    if (!noOpt) {
      g = io.kiln.passes.Pipeline.DEFAULT.apply(g);
    }
    Graph int8 = g;
    Lowered lowered = null;
    if (target != null) {
      lowered = TargetRun.lower(g, target, policy, ternarize);
      g = lowered.graph();
    }
    List<Value> ins = g.inputValues();
    checkBatchFits(ins, g.outputValues());
    byte[][] data = randomSeed != null ? randomInputs(ins, randomSeed, batch) : readInputs(ins, inputs, batch);

    Interpreter interpreter = new Interpreter(g);
    List<Value> outs = g.outputValues();
    ByteArrayOutputStream[] results = new ByteArrayOutputStream[outs.size()];
    for (int o = 0; o < results.length; o++) {
      results[o] = new ByteArrayOutputStream();
    }
    List<int[]> top1 = new ArrayList<>();
    List<List<Tensor>> samples = new ArrayList<>();
    for (int s = 0; s < batch; s++) {
      List<Tensor> sample = new ArrayList<>();
      for (int i = 0; i < ins.size(); i++) {
        int per = (int) ins.get(i).type().bytes();
        sample.add(Tensor.fromBytes(ins.get(i).dtype(), ins.get(i).shape(),
            Arrays.copyOfRange(data[i], s * per, (s + 1) * per)));
      }
      samples.add(sample);
      List<Tensor> result = interpreter.run(sample);
      for (int o = 0; o < results.length; o++) {
        results[o].writeBytes(result.get(o).toBytes());
      }
      top1.add(classifierTop1(g, result));
    }

    // Everything is computed before anything is written, and each file appears only by a rename,
    // so a failing run never leaves partial outputs behind.
    Files.createDirectories(outputDir);
    List<Path> written = new ArrayList<>();
    if (randomSeed != null) {
      for (int i = 0; i < ins.size(); i++) {
        written.add(writeAtomically(outputDir.resolve("input" + i + ".bin"), data[i]));
      }
    }
    for (int o = 0; o < results.length; o++) {
      written.add(writeAtomically(outputDir.resolve("output" + o + ".bin"),
          results[o].toByteArray()));
    }
    summarize(g, written, top1);
    if (lowered != null) {
      PrintWriter out = spec.commandLine().getOut();
      TargetRun.summarize(out, spec.commandLine().getErr(), lowered, target, ternarize);
      if (loweringReport) {
        out.print(LoweringReport.of(int8, lowered, samples).format());
      }
      out.flush();
    }
    return 0;
  }

  /** Batch x sample bytes in long arithmetic, against {@link #MAX_BATCH_BYTES}. */
  private void checkBatchFits(List<Value> ins, List<Value> outs) {
    long perSample = 0;
    for (Value v : ins) {
      perSample += v.type().bytes();
    }
    for (Value v : outs) {
      perSample += v.type().bytes();
    }
    if (perSample > 0 && batch > MAX_BATCH_BYTES / perSample) {
      // batch * perSample may not fit a long (2^31 samples of 2^33 bytes): say it in MiB.
      throw new KilnException(String.format(Locale.ROOT, "--batch %d needs %.0f MiB of inputs"
          + " and outputs (%d bytes a sample); the limit is %d MiB, at most --batch %d for this"
          + " model", batch, (double) batch * perSample / (1 << 20), perSample,
          MAX_BATCH_BYTES >> 20, MAX_BATCH_BYTES / perSample));
    }
  }

  static byte[][] readInputs(List<Value> ins, List<Path> inputs, int batch) {
    if (inputs.isEmpty()) {
      throw new KilnException("no input given: pass --input FILE once per model input ("
          + describe(ins) + ") or use --random-input SEED");
    }
    if (inputs.size() != ins.size()) {
      throw new KilnException("model " + (ins.size() == 1 ? "has 1 input" : "has " + ins.size()
          + " inputs") + " (" + describe(ins) + ") but " + inputs.size() + " --input file"
          + (inputs.size() == 1 ? " was" : "s were") + " given");
    }
    byte[][] data = new byte[ins.size()][];
    for (int i = 0; i < ins.size(); i++) {
      Value v = ins.get(i);
      Path file = inputs.get(i);
      long per = v.type().bytes();
      long expected = per * batch;
      int index = i;
      // The size is checked before reading: a wrong file is refused however large it is.
      data[i] = InputFiles.readExactly(file, "input " + i + " file", expected, got -> {
        String hint = batch == 1 && per > 0 && got % per == 0 && got > 0
            ? "; it holds " + got / per + " samples, pass --batch " + got / per + "?"
            : "";
        return "input " + index + " ('" + v.name() + "', "
            + GraphPrinter.type(v.type()).strip() + ") from " + file + ": expected " + expected
            + " bytes (" + batch + " sample" + (batch == 1 ? "" : "s") + " x " + per
            + " bytes), got " + got + hint;
      });
    }
    return data;
  }

  /**
   * Uniform random tensors: integers over the dtype's whole range (so int8 inputs exercise
   * saturation like the reference rand16 cases), floats in [-1, 1).
   */
  static byte[][] randomInputs(List<Value> ins, long seed, int batch) {
    SplittableRandom rng = new SplittableRandom(seed);
    byte[][] data = new byte[ins.size()][];
    for (int i = 0; i < ins.size(); i++) {
      DType dt = ins.get(i).dtype();
      int n = ins.get(i).type().elements() * batch;
      ByteBuffer b = ByteBuffer.allocate(n * dt.bytes()).order(ByteOrder.LITTLE_ENDIAN);
      for (int k = 0; k < n; k++) {
        switch (dt) {
          case INT8, UINT8 -> b.put((byte) rng.nextInt(256));
          case BOOL -> b.put((byte) rng.nextInt(2));
          case INT16 -> b.putShort((short) rng.nextInt(65536));
          case INT32, UINT32 -> b.putInt(rng.nextInt());
          case INT64, UINT64 -> b.putLong(rng.nextLong());
          case FLOAT32 -> b.putFloat((float) (rng.nextDouble() * 2 - 1));
        }
      }
      data[i] = b.array();
    }
    return data;
  }

  /**
   * For a classifier (one [1, classes] output computed by a Softmax): the best class and its
   * score's raw bits, else null. Other outputs (autoencoders, logits) have no meaningful top-1.
   */
  private static int[] classifierTop1(Graph g, List<Tensor> result) {
    if (g.outputs().size() != 1 || !producedBySoftmax(g, g.outputs().get(0))) {
      return null;
    }
    Tensor t = result.get(0);
    if (t.shape.rank() != 2 || t.shape.dim(0) != 1 || t.shape.dim(1) < 2
        || (t.ints == null && t.floats == null)) {
      return null;
    }
    int best = 0;
    for (int c = 1; c < t.shape.dim(1); c++) {
      boolean better = t.ints != null ? t.ints[c] > t.ints[best] : t.floats[c] > t.floats[best];
      if (better) {
        best = c;
      }
    }
    return new int[] {best, t.ints != null ? t.ints[best] : Float.floatToIntBits(t.floats[best])};
  }

  private static boolean producedBySoftmax(Graph g, int valueId) {
    for (Node n : g.nodes()) {
      if (n.outputs().contains(valueId)) {
        return n.op() instanceof Op.Softmax;
      }
    }
    return false;
  }

  private void summarize(Graph g, List<Path> written, List<int[]> top1) {
    PrintWriter out = spec.commandLine().getOut();
    out.printf("ran %s on %d sample%s%n", g.name(), batch, batch == 1 ? "" : "s");
    for (Path p : written) {
      out.printf("  wrote %s (%d bytes)%n", p, sizeOf(p));
    }
    Value o = g.outputValues().size() == 1 ? g.outputValues().get(0) : null;
    int shown = 0;
    for (int s = 0; s < top1.size(); s++) {
      int[] t = top1.get(s);
      if (t == null || o == null) {
        continue;
      }
      if (shown++ == SUMMARY_SAMPLES) {
        out.printf("  ... (%d more samples)%n", top1.size() - s);
        break;
      }
      double score = o.dtype() == DType.FLOAT32 ? Float.intBitsToFloat(t[1])
          : o.quant() instanceof Quantization.PerTensor p ? p.scale() * (t[1] - p.zeroPoint())
          : t[1];
      out.printf(Locale.ROOT, "  sample %d: top-1 class %d (score %.4f)%n", s, t[0], score);
    }
    out.flush();
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return -1;
    }
  }

  /** Writes to a temporary file beside {@code target} and renames it into place. */
  static Path writeAtomically(Path target, byte[] bytes) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }

  private static String describe(List<Value> ins) {
    List<String> parts = new ArrayList<>();
    for (Value v : ins) {
      parts.add("'" + v.name() + "' " + v.dtype().shortName() + v.shape());
    }
    return String.join(", ", parts);
  }
}
