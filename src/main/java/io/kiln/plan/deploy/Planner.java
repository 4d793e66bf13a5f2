package io.kiln.plan.deploy;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.PlannedDispatch;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.lower.Lowered;
import io.kiln.plan.lower.Lowering;
import io.kiln.plan.memory.MemoryPlan;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.schedule.LayerPlanner;
import io.kiln.plan.schedule.NetworkSchedule;
import io.kiln.plan.schedule.WeightPlacement;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one planner: dispatch, target-exact lowering, tiling, scheduling and placement of a graph on
 * a hardware description, giving the {@link DeploymentPlan} that code generation, reports and
 * simulators read, and the analytic cost model of that plan beside it.
 */
public final class Planner {
  private Planner() {}

  /**
   * @param ternarize convert conv/FC weights to ternary where a unit needs them (changes accuracy)
   */
  public record Options(Policy policy, boolean ternarize, SolverKind solver) {
    public static Options of(HardwareDescription hw) {
      return new Options(Policy.defaultFor(hw), false, SolverKind.BNB);
    }
  }

  /**
   * A plan and its analytic costs; {@code ternarizedLayers} counts the layers whose weights
   * changed, {@code lowering} says what target-exact lowering rewrote.
   */
  public record Planned(DeploymentPlan plan, AnalyticCostModel costs, int ternarizedLayers, Lowered lowering) {}

  /**
   * Plans {@code g} on {@code hw}.
   *
   * @throws KilnException when the arena and the blobs do not fit the description's memories
   */
  public static Planned plan(Graph g, HardwareDescription hw, Options o) {
    Graph graph = g;
    PlannedDispatch planned = PlannedDispatch.of(graph, hw,
        new Dispatcher.Options(o.policy(), o.ternarize(), null), new LayerPlanner(hw, o.solver().create()));
    NetworkSchedule schedule = planned.schedule(hw);
    WeightPlacement placement = schedule.placement();
    String l2 = placement.arenaMemory();
    long l2Size = hw.memory(l2).map(m -> m.sizeBytes()).orElse(0L);
    if (placement.arenaBytes() > l2Size) {
      throw new KilnException("the activation arena of " + placement.arenaBytes() + " B does not fit " + l2 + " ("
          + l2Size + " B) of " + hw.name());
    }
    for (WeightPlacement.Blob b : placement.blobs()) {
      if (b.memory().isEmpty()) {
        throw new KilnException("the weights of layer " + b.layer() + " (" + b.node().op().opName() + ", "
            + b.bytes() + " B) fit in no memory of " + hw.name() + ": " + b.note().orElse("no room"));
      }
    }
    MemoryPlan arena = NetworkSchedule.l2Arena(graph, planned.dispatch().fusedByRoot());
    if (arena.arenaBytes() != placement.arenaBytes()) {
      throw new IllegalStateException("arena of " + arena.arenaBytes() + " B where the schedule sized "
          + placement.arenaBytes() + " B");
    }
    Map<Integer, Region> values = new HashMap<>();
    Graph planning = graph;
    arena.offsets().forEach((id, off) -> values.put(id, new Region(l2, off, planning.value(id).type().bytes())));

    Map<Node, Integer> index = new HashMap<>();
    for (int i = 0; i < graph.nodes().size(); i++) {
      index.put(graph.nodes().get(i), i);
    }
    Map<Integer, Region> blobs = new HashMap<>();
    CallBuilder calls = new CallBuilder(graph, values);
    List<Step> steps = new ArrayList<>();
    for (LayerPlan p : schedule.layers()) {
      int at = index.get(p.node());
      if (!p.tiled()) {
        steps.add(new Step.CpuKernel(at));
        continue;
      }
      Optional<Region> blob = placement.blob(p.node()).filter(b -> p.weightBlob().isPresent())
          .map(b -> new Region(b.memory().orElseThrow(), b.offset(), b.bytes()));
      blob.ifPresent(r -> blobs.put(at, r));
      List<Integer> fused = p.fused().stream().map(index::get).toList();
      steps.add(calls.build(at, fused, p, blob));
    }
    // What each unit computes, as IR: same nodes, same value ids, so the steps' indices hold.
    Lowered lowered = Lowering.lower(planned.dispatch(), hw, new Lowering.Options(o.ternarize()));
    DeploymentPlan plan = new DeploymentPlan(hw, lowered.graph(), planned.dispatch(), steps,
        new Region(l2, 0, arena.arenaBytes()), values, blobs);
    int ternarized = (int) lowered.rewrites().stream()
        .filter(r -> r.changes().stream().anyMatch(c -> c.startsWith("weights: ternarized"))).count();
    return new Planned(plan, new AnalyticCostModel(schedule), ternarized, lowered);
  }
}
