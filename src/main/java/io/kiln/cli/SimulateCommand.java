package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.sim.CallModels;
import io.kiln.sim.HtmlReport;
import io.kiln.sim.dla.DlaCallModel;
import io.kiln.sim.dla.DlaStats;
import io.kiln.target.Accelerator;
import io.kiln.sim.SimReport;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.sim.TraceWriter;
import io.kiln.sim.systolic.SystolicCallModel;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln simulate}: plans MODEL for a target as {@code kiln compile} does, then runs the plan
 * on a discrete-event simulation of the SoC, functional and timed, and reports per layer the
 * simulated cycles beside the analytic estimate, utilization, traffic and energy; the outputs are
 * checked against the interpreter on the lowered graph.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = {"Simulate MODEL's deployment on a target, cycle by cycle and byte by byte.",
        "Exit 1 when the simulated outputs differ from 'kiln run --target'."})
final class SimulateCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "An integer .tflite or .onnx model, or builtin:NAME.")
  String model;

  @Option(names = "--target", required = true, paramLabel = "T",
      description = "A preset (cpu, diana, dla[:pe=..], systolic[:rows=..]) or a .yaml hardware file.")
  String target;

  @Option(names = "--policy", paramLabel = "P", description = "first|digital|analog|weights|mixed|lowest-cycles.")
  String policy;

  @Option(names = "--ternarize", description = "Ternarize the layers placed on ternary arrays (CHANGES ACCURACY).")
  boolean ternarize;

  @Option(names = "--solver", paramLabel = "S", defaultValue = "bnb", description = "Tiling solver: bnb, cpsat, exhaustive.")
  String solver;

  @Option(names = "--input", paramLabel = "FILE", description = "Raw input tensor file, once per model input.")
  List<Path> inputs = new ArrayList<>();

  @Option(names = "--random-input", paramLabel = "SEED", description = "Deterministic random inputs from SEED.")
  Long randomSeed;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "1",
      description = "Images a systolic unit's timing covers (its weights stay loaded across the"
          + " batch); outputs are simulated and checked for one image. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--timing-only",
      description = "Time the plan without moving bytes or computing tiles (no output check, no inputs):"
          + " the cycles are the same, for networks too large to execute quickly.")
  boolean timingOnly;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the report as JSON.")
  Path json;

  @Option(names = "--trace", paramLabel = "FILE",
      description = "Write the timeline as a Chrome trace-event JSON (Perfetto, chrome://tracing).")
  Path trace;

  @Option(names = "--html", paramLabel = "FILE",
      description = "Write one self-contained HTML page: Gantt chart, per-layer bars, rooflines.")
  Path html;

  @Override
  public Integer call() throws IOException {
    if (batch < 1) {
      throw new KilnException("--batch must be at least 1, got " + batch);
    }
    if (randomSeed != null && !inputs.isEmpty()) {
      throw new KilnException("give either --input files or --random-input, not both");
    }
    if (timingOnly && (randomSeed != null || !inputs.isEmpty())) {
      throw new KilnException("--timing-only executes nothing: give no --input or --random-input");
    }
    // Output paths are checked before the (possibly long) simulation.
    for (Path p : new Path[] {json, trace, html}) {
      checkWritable(p);
    }
    SolverKind solverKind = SolverKind.named(solver);
    HardwareDescription hw = Targets.resolve(target);
    boolean systolicUnit = hw.accelerators().stream().anyMatch(a -> a.kind() == Accelerator.Kind.SYSTOLIC);
    if (batch > 1 && !systolicUnit) {
      throw new KilnException("--batch " + batch + " times a batch on systolic units, and target '"
          + hw.name() + "' has none (its simulation covers one image)");
    }
    Policy p = policy == null ? Policy.defaultFor(hw) : Policy.named(policy);
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(model));
    PlanCommand.refuseFloatLayers(g, model, "simulate");
    Planner.Planned planned = Planner.plan(g, hw, new Planner.Options(p, ternarize, solverKind));
    List<String> errors = DeploymentChecker.check(planned.plan());
    if (!errors.isEmpty()) {
      throw new IllegalStateException("the plan fails its check: " + String.join("; ", errors));
    }
    Graph lowered = planned.plan().graph();
    List<Value> ins = lowered.inputValues();
    List<Tensor> tensors = new ArrayList<>();
    if (!timingOnly) {
      byte[][] data = randomSeed != null ? RunCommand.randomInputs(ins, randomSeed, 1)
          : RunCommand.readInputs(ins, inputs, 1);
      for (int i = 0; i < ins.size(); i++) {
        tensors.add(Tensor.fromBytes(ins.get(i).dtype(), ins.get(i).shape(), data[i]));
      }
    }
    // NVDLA units run their command streams on the instruction-set simulator; systolic units time
    // their calls for the batch.
    Optional<DlaStats> dla = hw.accelerators().stream().filter(a -> a.kind() == Accelerator.Kind.NVDLA).findFirst()
        .map(a -> new DlaStats(a.peakMacsPerCycle()));
    CallModels base = dla.map(DlaCallModel::models).orElse(CallModels.DEFAULT);
    SystolicCallModel systolic = new SystolicCallModel(batch);
    CallModels models = unit -> unit.kind() == Accelerator.Kind.SYSTOLIC ? systolic : base.forUnit(unit);
    Simulation s = timingOnly
        ? Simulator.simulateTiming(planned.plan(), planned.costs(), Simulator.CpuTiming.calibrated(hw), models,
            p.cliName())
        : Simulator.simulate(planned.plan(), planned.costs(), Simulator.CpuTiming.calibrated(hw), models, tensors,
            true, p.cliName());
    PrintWriter out = spec.commandLine().getOut();
    SimReport.print(out, s);
    if (batch > 1) {
      // Only the systolic units' job timing covers the batch; say so beside the numbers it mixes.
      out.println("  batch: " + batch + " images in the systolic units' cycles (sharing the loaded"
          + " weights); the other units' cycles, DMA bytes, MACs, utilization and energy are one image's");
    }
    dla.ifPresent(d -> out.print("\nDLA instruction-set simulator:\n" + d.table()));
    out.flush();
    if (json != null) {
      RunCommand.writeAtomically(json, SimReport.toJson(s).getBytes(StandardCharsets.UTF_8));
    }
    if (trace != null) {
      RunCommand.writeAtomically(trace, TraceWriter.toJson(s).getBytes(StandardCharsets.UTF_8));
    }
    if (html != null) {
      RunCommand.writeAtomically(html, HtmlReport.page(s, hw, g.name()).getBytes(StandardCharsets.UTF_8));
    }
    if (s.check().isPresent() && !s.check().get().matched()) {
      spec.commandLine().getErr().println("kiln: the simulated outputs differ from kiln run --target: "
          + s.check().get().firstMismatch().orElse(""));
      return 1;
    }
    return 0;
  }

  /** Fails with one line unless {@code p} can be written: its directory exists and it is not one. */
  static void checkWritable(Path p) {
    if (p == null) {
      return;
    }
    if (p.toString().isEmpty()) {
      throw new KilnException("an output path is empty");
    }
    if (Files.isDirectory(p)) {
      throw new KilnException(p + " is a directory, not a file to write");
    }
    Path dir = p.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new KilnException("cannot write " + p + ": no such directory " + dir);
    }
    if (!Files.isWritable(dir) || (Files.exists(p) && !Files.isWritable(p))) {
      throw new KilnException("cannot write " + p + ": permission denied");
    }
  }
}
