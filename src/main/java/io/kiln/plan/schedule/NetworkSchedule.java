package io.kiln.plan.schedule;

import io.kiln.ir.Graph;
import io.kiln.target.HardwareDescription;
import java.util.List;
import java.util.Map;

/**
 * The network-level totals of a list of layer plans: cycles, latency at the clock, the L2
 * activation arena (from the memory planner) and the weight bytes each memory holds.
 *
 * @param layers the layer plans in execution order
 * @param totalCycles sum of the layers' cycles, CPU layers converted to the description's clock
 * @param latencySeconds total latency
 * @param arenaBytes the L2 activation arena the memory planner computed
 * @param weightBytesByMemory weight (and per-channel parameter) bytes placed per memory name
 */
public record NetworkSchedule(List<LayerPlan> layers, long totalCycles, double latencySeconds, long arenaBytes,
    Map<String, Long> weightBytesByMemory) {

  public NetworkSchedule {
    layers = List.copyOf(layers);
    weightBytesByMemory = Map.copyOf(weightBytesByMemory);
  }

  /** Totals of {@code plans} (nodes of {@code g}) on {@code hw}. */
  public static NetworkSchedule of(HardwareDescription hw, Graph g, List<LayerPlan> plans) {
    throw new UnsupportedOperationException("not implemented yet");
  }
}
