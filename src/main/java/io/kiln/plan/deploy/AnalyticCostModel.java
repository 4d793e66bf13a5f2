package io.kiln.plan.deploy;

import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.schedule.NetworkSchedule;
import io.kiln.plan.schedule.Transfer;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The first cost model: the layer planner's analytic estimates (array steps per tile, DMA setup
 * plus bytes over bandwidth, overlap under double buffering, the CPU's cycles per unit of work),
 * read from the schedule the plan was made from.
 */
public final class AnalyticCostModel implements CostModel {
  private final NetworkSchedule schedule;
  private final Map<Integer, LayerPlan> byOutput = new HashMap<>();

  public AnalyticCostModel(NetworkSchedule schedule) {
    this.schedule = schedule;
    for (LayerPlan p : schedule.layers()) {
      byOutput.put(p.node().output(), p);
    }
  }

  @Override
  public String name() {
    return "analytic";
  }

  /** The layer plan a step was made from. */
  public LayerPlan layerPlan(DeploymentPlan plan, Step step) {
    LayerPlan p = byOutput.get(plan.graph().nodes().get(step.node()).output());
    if (p == null) {
      throw new IllegalArgumentException("step of node " + step.node() + " is not in the schedule");
    }
    return p;
  }

  @Override
  public StepCost cost(DeploymentPlan plan, Step step) {
    LayerPlan p = layerPlan(plan, step);
    Map<String, Long> bytes = new TreeMap<>();
    for (Transfer x : p.transfers()) {
      bytes.merge(x.from() + "->" + x.to(), x.bytes(), Long::sum);
    }
    return new StepCost(NetworkSchedule.cycles(plan.hardware(), p), p.macs(), bytes, p.energyPj(),
        p.macUtilization());
  }

  /** The schedule behind the estimates (totals, weight placement). */
  public NetworkSchedule schedule() {
    return schedule;
  }
}
