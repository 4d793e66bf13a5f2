package io.kiln.cli;

import io.kiln.ir.Graph;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.PlannedDispatch;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.lower.Lowered;
import io.kiln.plan.lower.Lowering;
import io.kiln.plan.schedule.LayerPlanner;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.io.PrintWriter;

/**
 * {@code kiln run --target}: the graph a target computes, dispatched and planned as
 * {@code kiln plan} does it (so a layer no tiling fits falls back as it does there) and lowered
 * target-exactly.
 */
final class TargetRun {
  private TargetRun() {}

  static Lowered lower(Graph g, String target, String policy, boolean ternarize) {
    HardwareDescription hw = Targets.resolve(target);
    Policy p = policy == null ? Policy.defaultFor(hw) : Policy.named(policy);
    // The graph the deployment computes: the one plan kiln compile generates code from.
    return io.kiln.plan.deploy.Planner.plan(g, hw, new io.kiln.plan.deploy.Planner.Options(p, ternarize,
        SolverKind.BNB)).lowering();
  }

  static void summarize(PrintWriter out, PrintWriter err, Lowered lowered, String target,
      boolean ternarize) {
    long numeric = lowered.rewrites().stream().filter(Lowered.Rewrite::approximate).count();
    out.printf("  lowered for %s: %d node%s rewritten (%d change%s the numbers)%n", target,
        lowered.rewrites().size(), lowered.rewrites().size() == 1 ? "" : "s", numeric,
        numeric == 1 ? "s" : "");
    if (ternarize) {
      PlanCommand.warnTernarized(err, lowered);
      err.flush();
    }
  }
}
