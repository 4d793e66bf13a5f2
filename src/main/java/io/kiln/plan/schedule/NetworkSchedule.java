package io.kiln.plan.schedule;

import io.kiln.ir.Graph;
import io.kiln.plan.memory.GreedyPlanner;
import io.kiln.plan.memory.Lifetimes;
import io.kiln.target.HardwareDescription;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The network-level result of a list of layer plans, and the one owner of its totals: cycles and
 * latency at the clock, the L2 activation arena (from the memory planner), where every layer's
 * constants live ({@link WeightPlacement}) and how much of each accelerator weight memory the
 * largest layer keeps resident. Reports read these; they do not add things up again.
 *
 * @param layers the layer plans in execution order (a layer whose blob the placement moved to
 *     read-only memory is rescheduled to read it there)
 * @param totalCycles sum of the layers' cycles at the description's clock (CPU layers converted
 *     from the CPU's clock with {@link #cycles})
 * @param latencySeconds total latency
 * @param arenaBytes the activation arena the greedy memory planner computed
 * @param placement where each layer's weight blob or constant tensors live
 * @param residentWeightBytes for each accelerator weight memory, the most one layer's tiles
 *     reserve in it (double buffers included)
 */
public record NetworkSchedule(List<LayerPlan> layers, long totalCycles, double latencySeconds, long arenaBytes,
    WeightPlacement placement, Map<String, Long> residentWeightBytes) {

  /** Arena offsets are aligned as the generated C's static arena aligns them. */
  public static final int ARENA_ALIGNMENT = 16;

  public NetworkSchedule {
    layers = List.copyOf(layers);
    residentWeightBytes = Map.copyOf(residentWeightBytes);
  }

  /** Totals and weight placement of {@code plans} (nodes of {@code g}, in order) on {@code hw}. */
  public static NetworkSchedule of(HardwareDescription hw, Graph g, List<LayerPlan> plans) {
    long arena = l2ArenaBytes(g);
    WeightPlacer.Result placed = WeightPlacer.place(hw, g, plans, arena);
    long cycles = 0;
    double seconds = 0;
    Map<String, Long> resident = new TreeMap<>();
    for (LayerPlan p : placed.plans()) {
      seconds += p.seconds();
      cycles += cycles(hw, p);
      if (p.weightMemoryBytes() > 0 && p.unit() instanceof Unit.AcceleratorUnit a) {
        a.accelerator().weightMemory().ifPresent(m -> resident.merge(m.name(), p.weightMemoryBytes(), Math::max));
      }
    }
    return new NetworkSchedule(placed.plans(), cycles, seconds, arena, placed.placement(), resident);
  }

  /** A layer's cycles at the description's clock (a CPU layer's are converted from the CPU's). */
  public static long cycles(HardwareDescription hw, LayerPlan p) {
    return Math.round((double) p.totalCycles() * hw.clockHz() / p.clockHz());
  }

  /** Bytes of weight blobs and constant tensors stored per memory (L2, flash). */
  public Map<String, Long> weightBytesByMemory() {
    return placement.bytesByMemory();
  }

  /** The L2 activation arena: every activation of the network, placed by the memory planner. */
  public static long l2ArenaBytes(Graph g) {
    return new GreedyPlanner().plan(Lifetimes.of(g), ARENA_ALIGNMENT).arenaBytes();
  }
}
