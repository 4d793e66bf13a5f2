package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.plan.dispatch.DispatchResult.LayerDispatch;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.PlanReport;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.lower.Lowered;
import io.kiln.plan.lower.Lowering;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.schedule.NetworkSchedule;
import io.kiln.plan.schedule.WeightPlacementChecker;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln plan}: where each layer of a model runs on a target and why (every accelerator's
 * rejection), with tiles, memory, DMA and cycle estimates per layer and the network totals.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Dispatch MODEL's layers onto a target's accelerators and report the plan.")
final class PlanCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "An integer .tflite or .onnx"
      + " model, or builtin:NAME.")
  String model;

  @Option(names = "--target", required = true, paramLabel = "T",
      description = "A preset (cpu, diana, dla[:pe=..], systolic[:rows=..]) or a .yaml hardware file.")
  String target;

  @Option(names = "--policy", paramLabel = "P",
      description = "first|digital|analog|weights|mixed|lowest-cycles (default: weights on"
          + " diana, else first).")
  String policy;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
  Path json;

  @Option(names = "--strict",
      description = "Fail (exit 2) if a layer an accelerator pattern describes fits on none.")
  boolean strict;

  @Option(names = "--ternarize", description = "Convert the int8 conv/FC weights of layers on a ternary array to ternary, allow"
      + " narrowing inputs to an array's bits and shift-rounded fused residual adds at plan time"
      + " (CHANGES ACCURACY).")
  boolean ternarize;

  @Option(names = "--solver", paramLabel = "S", defaultValue = "bnb",
      description = "Tiling solver: bnb (branch and bound, the default), cpsat (OR-Tools CP-SAT)"
          + " or exhaustive (the baseline, slow on large layers). All reach the same objective.")
  String solver;

  @Option(names = "--dispatch-only",
      description = "Dispatch without tiling: no tile, L1 or DMA columns; array-bound cycles.")
  boolean dispatchOnly;

  @Override
  public Integer call() throws IOException {
    SolverKind solverKind = SolverKind.named(solver);
    HardwareDescription hw = Targets.resolve(target);
    Policy p = policy == null ? Policy.defaultFor(hw) : Policy.named(policy);
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(model));
    refuseFloatLayers(g, model, "plan");
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Dispatcher.Options options = new Dispatcher.Options(p, ternarize, null);
    DispatchResult d;
    NetworkSchedule schedule = null;
    if (dispatchOnly) {
      d = Dispatcher.dispatch(g, hw, options);
    } else {
      // The one planner: kiln compile and simulators read the same plan.
      Planner.Planned planned = Planner.plan(g, hw, new Planner.Options(p, ternarize, solverKind));
      d = planned.plan().dispatch();
      schedule = planned.costs().schedule();
      // The plan and every layer plan are re-derived by independent checkers; a violation is a
      // bug in Kiln.
      List<String> errors = new java.util.ArrayList<>(DeploymentChecker.check(planned.plan()));
      for (LayerPlan plan : schedule.layers()) {
        for (String e : io.kiln.plan.schedule.PlanChecker.check(plan)) {
          errors.add("plan of node %" + plan.node().output() + ": " + e);
        }
      }
      errors.addAll(WeightPlacementChecker.check(hw, schedule));
      if (!errors.isEmpty()) {
        throw new IllegalStateException("the plan fails its check: " + String.join("; ", errors));
      }
    }
    if (ternarize) {
      warnTernarized(err, Lowering.lower(d, hw, new Lowering.Options(true)));
    }
    if (strict) {
      for (LayerDispatch l : d.layers()) {
        if (l.layer().isPresent() && !hw.accelerators().isEmpty()
            && hw.accelerator(l.unit()).isEmpty()) {
          throw new KilnException("--strict: " + l.layer().get().where() + " ("
              + l.node().op().opName() + ") fits on no accelerator: " + String.join("; ",
              l.rejections().stream().map(r -> r.unit() + ": " + r.reason()).toList()));
        }
      }
    }
    PlanReport report = schedule != null ? PlanReport.of(g.name(), hw, d, schedule)
        : PlanReport.dispatchOnly(g.name(), hw, d, NetworkSchedule.l2ArenaBytes(g, d.fusedByRoot()));
    out.print(report.toText());
    if (json != null) {
      RunCommand.writeAtomically(json, report.toJson().getBytes(StandardCharsets.UTF_8));
    }
    out.flush();
    return 0;
  }

  /**
   * Planning is for integer models: a float layer can only run on the host, and no accelerator
   * rule can tell the user more than "quantize it". Float inputs and outputs converted by
   * Quantize/Dequantize at the edges are fine.
   */
  static void refuseFloatLayers(Graph g, String model, String command) {
    int floats = 0;
    Node first = null;
    for (Node n : g.nodes()) {
      if (n.op() instanceof Op.Quantize || n.op() instanceof Op.Dequantize) {
        continue;
      }
      boolean isFloat = n.outputs().stream().anyMatch(o -> g.value(o).dtype().isFloat());
      if (isFloat) {
        floats++;
        first = first == null ? n : first;
      }
    }
    if (first != null) {
      throw new KilnException("kiln " + command + " takes integer (quantized) models, but " + g.name()
          + " has " + floats + " float layer" + (floats == 1 ? "" : "s") + " (the first: %"
          + first.outputs().get(0) + " " + first.op().opName() + "); quantize it first with"
          + " 'kiln quantize " + model + " --calibration DATA -o " + g.name() + "_int8.tflite'");
    }
  }

  /**
   * {@code --ternarize} is a rewrite of the layers dispatch put on a ternary unit (target-exact
   * lowering does it); the warning says how many it converted.
   */
  static void warnTernarized(PrintWriter err, Lowered lowered) {
    long layers = lowered.rewrites().stream()
        .filter(r -> r.changes().stream().anyMatch(c -> c.startsWith("weights: ternarized")))
        .count();
    err.println("kiln: warning: --ternarize converted the weights of " + layers
        + " layers placed on ternary arrays to ternary, allows 7-bit analog inputs and rounds the"
        + " rescaling of residual adds fused into shift-only output stages to shifts; this"
        + " changes the model's accuracy (for a calibrated result: kiln quantize --weights"
        + " ternary --scales pow2)");
  }
}
