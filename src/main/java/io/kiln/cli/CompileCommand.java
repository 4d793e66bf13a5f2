package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.codegen.Board;
import io.kiln.passes.Pipeline;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.CompileResult;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.report.CompileReport;
import io.kiln.report.DeployReport;
import io.kiln.report.CompileReportJson;
import io.kiln.report.CompileReportText;
import io.kiln.report.ObjectSizer;
import io.kiln.report.ObjectSizes;
import io.kiln.target.CpuCore;
import io.kiln.target.HardwareDescription;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln compile}: generates the C library for MODEL into OUT and prints the compile report
 * (per-layer shapes, MACs and arena placement; arena, lower bound, weights, object sections).
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
    description = {
        "Compile MODEL ahead of time into a C library in OUT (kiln_model.h, kiln_model.c,"
            + " kiln_weights.c, a host driver, Makefile and CMakeLists.txt) and print the"
            + " compile report.",
        "Nothing is left in OUT when the compile fails."})
final class CompileCommand implements Callable<Integer> {
  /** The targets {@code --target} accepts, besides a hardware file without accelerators. */
  static final List<String> TARGETS = List.of("cpu", "cpu:core=CORE");

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL",
      description = "A .tflite file or builtin:NAME (see 'kiln builtins').")
  String model;

  @Option(names = "--target", paramLabel = "TARGET", defaultValue = "cpu",
      description = "What to generate code for: cpu, cpu:core=cortex-m4|cortex-m7|cortex-m33|"
          + "cortex-m55|cortex-m3|generic (the core selects the kernel family: the Arm DSP"
          + " extension for the Cortex-M4/M7/M33, Helium and the DSP extension for the Cortex-M55,"
          + " portable C otherwise; with --board, the board's core), a preset with accelerators"
          + " (diana, dla[:pe=..,sram=..,par=..,dw=..],"
          + " systolic[:rows=..,cols=..,word=..,sram=..,im2col=..,tiles=..]) or a .yaml hardware"
          + " file (a description"
          + " without accelerators: its cpu.core field chooses the kernels; default:"
          + " ${DEFAULT-VALUE}).")
  String target;

  @Option(names = "--policy", paramLabel = "P",
      description = "How to choose among accelerators that accept a layer (as for kiln plan).")
  String policy;

  @Option(names = "--ternarize", description = "Convert conv/FC weights to ternary where a unit"
      + " needs them (CHANGES ACCURACY; see kiln plan --help).")
  boolean ternarize;

  @Option(names = "--solver", paramLabel = "S", defaultValue = "bnb",
      description = "Tiling solver: bnb, cpsat or exhaustive.")
  String solver;

  @Option(names = {"-o", "--output-dir"}, paramLabel = "OUT", required = true,
      description = "Directory for the generated library (created if missing).")
  Path outDir;

  @Option(names = "--json", paramLabel = "REPORT.json",
      description = "Also write the compile report as JSON to this file.")
  Path json;

  @Option(names = "--no-object-sizes",
      description = "Do not compile the generated C to measure its .text/.rodata/.data/.bss.")
  boolean noObjectSizes;

  @Option(names = "--no-opt",
      description = "Compile the model as imported, without the default optimization passes.")
  boolean noOpt;

  @Option(names = "--board", paramLabel = "BOARD",
      description = "Also emit start-up code, linker script and a semihosting driver for a "
          + "bare-metal board that runs under QEMU: mps2-an385 (Cortex-M3), mps2-an386 (Cortex-M4), mps2-an500 (Cortex-M7), mps3-an547 (Cortex-M55) under qemu-system-arm, riscv32-virt (rv32imc) under qemu-system-riscv32.")
  String board;

  @Option(names = "--frontend", paramLabel = "FRONTEND",
      description = "Keyword spotting from audio: MODEL is the network, FRONTEND its feature"
          + " front-end; emits one library with kiln_push_audio() and a host driver kiln_kws"
          + " that takes a WAV (see 'kiln kws').")
  String frontEnd;

  @picocli.CommandLine.Mixin
  KwsCompile.Flags kwsFlags = new KwsCompile.Flags();

  @Option(names = "--winograd",
      description = "Compute 3x3 stride-1 int8 convolutions with the exact Winograd F(2x2,3x3)"
          + " kernel (bit-exact; 2.25x fewer multiplies, 3.6x the weight bytes of those layers).")
  boolean winograd;

  @Option(names = "--sparse", paramLabel = "auto|always|never", defaultValue = "auto",
      converter = SparseConverter.class,
      description = "Kernels for layers with N:M sparse weights (pruned by 'kiln prune'): auto"
          + " chooses the sparse kernel where its cost estimate beats the dense one (the report"
          + " says which and why); always and never force one; with a --target that has"
          + " accelerators, for the layers the CPU runs (default: ${DEFAULT-VALUE}).")
  CodegenOptions.SparseKernels sparse;

  static final class SparseConverter
      extends QuantizeCommand.LowerCaseEnum<CodegenOptions.SparseKernels> {
    SparseConverter() {
      super(CodegenOptions.SparseKernels.class);
    }
  }

  /** Targets for the help text. */
  static final class Targets implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return TARGETS.iterator();
    }
  }

  /** The code generation options the flags select: a new codegen flag adds one line here. */
  CodegenOptions codegenOptions() {
    CodegenOptions options = CodegenOptions.defaults().withCore(core());
    if (board != null) {
      options = options.withBoard(Board.named(board));
    }
    return options.withWinograd(winograd).withSparse(sparse);
  }

  /**
   * The core the target names; plain {@code cpu} with a board means the board's core. A target
   * with accelerators is refused: compile generates code for the CPU only.
   */
  CpuCore core() {
    String t = target.strip();
    if (t.equals("cpu")) {
      return board != null ? Board.named(board).core() : CpuCore.GENERIC;
    }
    if (!io.kiln.target.Presets.isPreset(t) && !t.endsWith(".yaml") && !t.endsWith(".yml")
        && !t.contains("/")) {
      throw new KilnException("unknown target '" + target + "'; available targets: cpu,"
          + " cpu:core=CORE, or a hardware .yaml file without accelerators");
    }
    return io.kiln.target.Targets.resolve(t).cpu().core();
  }

  @Override
  public Integer call() throws IOException {
    // Resolved before anything is loaded or written, so a bad target costs nothing.
    io.kiln.target.HardwareDescription hw = null;
    if (!target.strip().equals("cpu")) {
      io.kiln.target.HardwareDescription d = io.kiln.target.Targets.resolve(target.strip());
      hw = d.accelerators().isEmpty() ? null : d;
    }
    io.kiln.plan.tiling.SolverKind solverKind = io.kiln.plan.tiling.SolverKind.named(solver);
    io.kiln.plan.dispatch.Policy p = hw == null ? null : policy == null
        ? io.kiln.plan.dispatch.Policy.defaultFor(hw) : io.kiln.plan.dispatch.Policy.named(policy);
    if (hw != null && board != null) {
      throw new KilnException("--board works with CPU targets only for now");
    }
    CodegenOptions options = hw == null ? codegenOptions() : null;
    // Checked before the model is loaded, so a typo costs nothing and nothing is written.
    String problem = unwritableDirectory(outDir);
    if (problem != null) {
      throw new KilnException("cannot write the output directory " + outDir + ": " + problem);
    }
    if (json != null) {
      problem = Files.isDirectory(json) ? "it is a directory"
          : unwritableDirectory(json.toAbsolutePath().getParent());
      if (problem != null) {
        throw new KilnException("cannot write the JSON report " + json + ": " + problem);
      }
    }
    Graph g = ModelSource.load(model);
    if (!noOpt) {
      g = Pipeline.DEFAULT.apply(g);
    }
    if (frontEnd != null) {
      if (hw != null) {
        throw new KilnException("--frontend works with CPU targets only for now");
      }
      return KwsCompile.run(this, g, options);
    }
    boolean outExisted = Files.exists(outDir);
    if (hw != null) {
      DeployReport r = DeployCompile.run(g, hw, new io.kiln.plan.deploy.Planner.Options(p, ternarize, solverKind),
          outDir, !noObjectSizes, sparse);
      if (json != null) {
        DeployCompile.writeJson(r, json, outDir, outExisted);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.print(r.toText());
      if (json != null) {
        out.println("JSON report: " + json);
      }
      out.flush();
      return 0;
    }
    // On failure CpuCodegen writes nothing (unsupported operator) or removes what it wrote.
    CompileResult result = CpuCodegen.generate(g, outDir, options);
    ObjectSizes sizes = noObjectSizes ? ObjectSizes.unavailable(null, "not measured:"
        + " --no-object-sizes") : ObjectSizer.measure(outDir, options.core());
    CompileReport report = CompileReport.of(g, targetName(options), result, sizes);
    if (json != null) {
      try {
        Files.createDirectories(json.toAbsolutePath().getParent());
        RunCommand.writeAtomically(json,
            CompileReportJson.render(report).getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        // A compile whose report could not be written is a failed compile: undo it.
        removeGenerated(result, outExisted);
        throw new KilnException("cannot write the JSON report " + json + ": "
            + IoErrors.describe(e), e);
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(CompileReportText.render(report));
    if (json != null) {
      out.println("JSON report: " + json);
    }
    out.flush();
    return 0;
  }

  /** The target as the report names it: {@code cpu}, or {@code cpu:core=NAME} for a core. */
  private String targetName(CodegenOptions options) {
    if (target.strip().equals("cpu") && options.core() == CpuCore.GENERIC) {
      return "cpu";
    }
    return target.strip().equals("cpu") || target.strip().startsWith("cpu:")
        ? "cpu:core=" + options.core().id() : target.strip();
  }

  /**
   * Why {@code dir} cannot receive files, or null when it can: it must be a writable directory,
   * or else its nearest existing ancestor must be one, so that it can be created.
   */
  static String unwritableDirectory(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    if (Files.exists(abs)) {
      if (!Files.isDirectory(abs)) {
        return abs + " exists and is not a directory";
      }
      return Files.isWritable(abs) ? null : abs + " is not writable";
    }
    Path existing = abs.getParent();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return "no part of " + abs + " exists";
    }
    if (!Files.isDirectory(existing)) {
      return existing + " is not a directory";
    }
    return Files.isWritable(existing) ? null : existing + " is not writable";
  }

  private static void removeGenerated(CompileResult result, boolean outExisted) {
    try {
      for (String f : result.files()) {
        Files.deleteIfExists(result.outDir().resolve(f));
      }
      if (!outExisted) {
        Files.deleteIfExists(result.outDir());
      }
    } catch (IOException ignored) {
      // Best effort: the report's write error is what the user needs to see.
    }
  }
}
