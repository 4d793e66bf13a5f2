package io.kiln.plan.deploy;

import io.kiln.ir.Graph;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.target.HardwareDescription;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The program a deployment runs, and the one artifact every later stage reads: the lowered graph
 * (what each unit computes, as IR the interpreter executes), the ordered steps, where every
 * activation lives in the L2 arena and where every accelerator layer's weight blob lives. Code
 * generation, the reports of {@code kiln plan} and {@code kiln compile}, and simulators read this
 * record, so they cannot disagree. It holds no costs: a {@link CostModel} answers those.
 *
 * @param dispatch where each node runs and why (every rejection with its reason)
 * @param arena the L2 activation arena
 * @param values the arena region of every activation (by value id)
 * @param blobs the region of each accelerator layer's weight blob, by node index
 */
public record DeploymentPlan(HardwareDescription hardware, Graph graph, DispatchResult dispatch, List<Step> steps,
    Region arena, Map<Integer, Region> values, Map<Integer, Region> blobs) {

  public DeploymentPlan {
    steps = List.copyOf(steps);
    values = Map.copyOf(values);
    blobs = Map.copyOf(blobs);
  }

  /** The accelerator calls, in order. */
  public List<Step.AcceleratorCall> calls() {
    return steps.stream().filter(s -> s instanceof Step.AcceleratorCall).map(s -> (Step.AcceleratorCall) s).toList();
  }

  /**
   * The bytes each unit-local memory must hold: the most any one call's buffers reach (calls run
   * one after another, so they reuse the same bytes).
   */
  public Map<String, Long> localPeaks() {
    Map<String, Long> peak = new TreeMap<>();
    for (Step.AcceleratorCall c : calls()) {
      for (Step.Buffer b : c.buffers()) {
        peak.merge(b.region().memory(), b.region().end(), Math::max);
      }
    }
    return peak;
  }

  /**
   * The bytes used of each memory that holds the arena or a blob: one past the last byte of
   * anything in it.
   */
  public Map<String, Long> sharedExtents() {
    Map<String, Long> used = new TreeMap<>();
    used.merge(arena.memory(), arena.end(), Math::max);
    for (Region r : blobs.values()) {
      used.merge(r.memory(), r.end(), Math::max);
    }
    return used;
  }
}
