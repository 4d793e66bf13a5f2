package io.kiln.bench;

import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.CostModel;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.schedule.Transfer;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.plan.tiling.Tiling;
import io.kiln.sim.SeededInputs;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Plans of pruned models on one description (run by {@code bench/sparse-plan.sh}, not a test):
 * {@code SparsePlanBench TARGET POLICY LABEL=MODEL...} plans each model with the policy, re-checks
 * every plan ({@code PlanChecker} per layer, {@code WeightPlacementChecker}, {@link DeploymentChecker}), simulates one seeded inference with the simulator's
 * check against the interpreter on the lowered graph, and prints, per accelerated layer, its tile
 * sizes, L1 and weight-memory reservation, weight blob bytes, DMA bytes, analytic cycles and
 * utilization, then one totals line per model. Markdown rows, tab-free.
 */
public final class SparsePlanBench {
  private SparsePlanBench() {}

  public static void main(String[] args) {
    HardwareDescription hw = Targets.resolve(args[0]);
    Policy policy = Policy.named(args[1]);
    Map<String, String> models = new LinkedHashMap<>();
    for (int i = 2; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      models.put(kv[0], kv[1]);
    }
    List<String> totals = new ArrayList<>();
    for (Map.Entry<String, String> m : models.entrySet()) {
      Graph g = Pipeline.DEFAULT.apply(ModelSource.load(m.getValue()));
      Planner.Planned p = Planner.plan(g, hw, new Planner.Options(policy, false, SolverKind.BNB));
      // Every plan re-checked: each layer plan, the weight placement and the deployment.
      List<String> errors = new ArrayList<>(DeploymentChecker.check(p.plan()));
      for (io.kiln.plan.schedule.LayerPlan lp : p.costs().schedule().layers()) {
        errors.addAll(io.kiln.plan.schedule.PlanChecker.check(lp));
      }
      errors.addAll(io.kiln.plan.schedule.WeightPlacementChecker.check(hw, p.costs().schedule()));
      List<Tensor> in = new ArrayList<>(SeededInputs.of(p.plan().graph(), 7));
      Simulation s = Simulator.simulate(p.plan(), p.costs(), Simulator.CpuTiming.of(p.costs()), in, true,
          policy.cliName());
      boolean same = s.check().map(Simulation.Check::matched).orElse(false);
      long dma = 0;
      long weights = 0;
      long cycles = 0;
      long accCycles = 0;
      int accelerated = 0;
      for (Step st : p.plan().steps()) {
        CostModel.StepCost cost = p.costs().cost(p.plan(), st);
        cycles += cost.cycles();
        if (!(st instanceof Step.AcceleratorCall c)) {
          continue;
        }
        accelerated++;
        accCycles += cost.cycles();
        Node n = p.plan().graph().nodes().get(c.node());
        LayerShape l = c.geometry().shape();
        Tiling t = c.tiling();
        long bytes = c.transfers().stream().mapToLong(DmaDescriptor::bytes).sum();
        long wBytes = c.transfers().stream().filter(d -> d.kind() == Transfer.Kind.WEIGHTS)
            .mapToLong(DmaDescriptor::bytes).sum();
        long blob = c.blobLayout().map(b -> b.weights().bytes()).orElse(0L);
        dma += bytes;
        weights += blob;
        System.out.printf(Locale.ROOT, "| %s | %s %s | %dx%dx%dx%d | K%d C%d OY%d OX%d (%d tiles) | %,d | %,d | %s | %,d | %,d"
                + " | %,d | %,d | %.1f%% |%n", m.getKey(), n.op().opName(), "%" + n.output(), l.k(), l.c(), l.fy(), l.fx(),
            t.tileK(), t.tileC(), t.tileOY(), t.tileOX(), t.tileCount(l.depthwise()), t.footprint().l1Bytes(),
            t.footprint().weightMemoryBytes(), c.blobLayout().map(b -> b.describe()).orElse("-"), blob, wBytes, bytes,
            cost.cycles(), 100 * cost.utilization());
      }
      totals.add(String.format(Locale.ROOT, "| %s | %d | %,d | %,d | %,d | %,d | %s | %s |", m.getKey(), accelerated,
          weights, dma, accCycles, cycles, errors.isEmpty() ? "passed" : errors.size() + " violations: " + errors.get(0),
          same ? "equal" : "DIFFERS " + s.check().flatMap(Simulation.Check::firstMismatch).orElse("")));
    }
    System.out.println("TOTALS");
    totals.forEach(System.out::println);
  }
}
