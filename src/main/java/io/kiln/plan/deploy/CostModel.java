package io.kiln.plan.deploy;

import java.util.Map;

/**
 * What a step of a deployment costs: one question, several answers (the analytic baseline,
 * simulators), each comparable with the others step by step.
 */
public interface CostModel {

  /** A short name for reports ({@code analytic}). */
  String name();

  /** The cost of {@code step} of {@code plan}. */
  StepCost cost(DeploymentPlan plan, Step step);

  /**
   * The cost of one step.
   *
   * @param cycles latency at the description's clock (CPU steps converted from the CPU's clock)
   * @param macs useful multiply-accumulates (the one count every report uses)
   * @param bytesByTransfer DMA bytes per {@code from->to} memory pair
   * @param energyPj estimated energy
   * @param utilization MACs over cycles times the unit's peak MACs per cycle
   */
  record StepCost(long cycles, long macs, Map<String, Long> bytesByTransfer, double energyPj, double utilization) {
    public StepCost {
      bytesByTransfer = Map.copyOf(bytesByTransfer);
    }
  }
}
