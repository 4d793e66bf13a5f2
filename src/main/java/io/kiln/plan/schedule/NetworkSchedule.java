package io.kiln.plan.schedule;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import io.kiln.plan.memory.GreedyPlanner;
import io.kiln.plan.memory.Lifetimes;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The network-level totals of a list of layer plans: cycles, latency at the clock, the L2
 * activation arena (from the memory planner) and the weight bytes each memory holds.
 *
 * @param layers the layer plans in execution order
 * @param totalCycles sum of the layers' cycles at the description's clock (CPU layers converted
 *     from the CPU's clock)
 * @param latencySeconds total latency
 * @param arenaBytes the activation arena the greedy memory planner computed
 * @param weightBytesByMemory weights and per-channel parameters stored per memory (L2 or flash),
 *     and for each accelerator weight memory the most one tile keeps resident there
 */
public record NetworkSchedule(List<LayerPlan> layers, long totalCycles, double latencySeconds, long arenaBytes,
    Map<String, Long> weightBytesByMemory) {

  /** Arena offsets are aligned as the generated C's static arena aligns them. */
  public static final int ARENA_ALIGNMENT = 16;

  public NetworkSchedule {
    layers = List.copyOf(layers);
    weightBytesByMemory = Map.copyOf(weightBytesByMemory);
  }

  /** Totals of {@code plans} (nodes of {@code g}) on {@code hw}. */
  public static NetworkSchedule of(HardwareDescription hw, Graph g, List<LayerPlan> plans) {
    long cycles = 0;
    double seconds = 0;
    Map<String, Long> weights = new TreeMap<>();
    String constants = constantMemory(hw);
    for (LayerPlan p : plans) {
      seconds += p.seconds();
      cycles += Math.round((double) p.totalCycles() * hw.clockHz() / p.clockHz());
      if (p.tiled()) {
        var l = p.problem().layer();
        var s = p.problem().sizes();
        long reduction = (l.depthwise() ? 1L : l.c()) * l.fy() * l.fx();
        long stored = p.macs() == 0 ? 0
            : (l.k() * s.weightBitsPerChannel(reduction) + 7) / 8 + (long) l.k() * s.paramBytesPerChannel();
        String from = p.transfers().isEmpty() ? constants : p.transfers().get(0).from();
        weights.merge(from, stored, Long::sum);
        if (p.weightMemoryBytes() > 0 && p.unit() instanceof Unit.AcceleratorUnit a) {
          a.accelerator().weightMemory().ifPresent(m -> weights.merge(m.name(), p.weightMemoryBytes(), Math::max));
        }
      } else {
        weights.merge(constants, constantBytes(g, p.node()), Long::sum);
      }
    }
    return new NetworkSchedule(plans, cycles, seconds, l2ArenaBytes(g), weights);
  }

  /** The L2 activation arena: every activation of the network, placed by the memory planner. */
  public static long l2ArenaBytes(Graph g) {
    return new GreedyPlanner().plan(Lifetimes.of(g), ARENA_ALIGNMENT).arenaBytes();
  }

  /** Where the CPU's constants live: read-only memory (flash) if any, else the largest memory. */
  private static String constantMemory(HardwareDescription hw) {
    return hw.memories().stream().filter(m -> !m.writable()).map(MemoryLevel::name).findFirst()
        .orElseGet(() -> hw.memories().stream().max(java.util.Comparator.comparingLong(MemoryLevel::sizeBytes))
            .map(MemoryLevel::name).orElse("memory"));
  }

  private static long constantBytes(Graph g, Node n) {
    long b = 0;
    for (int id : n.inputs()) {
      if (id != Node.ABSENT) {
        Value v = g.value(id);
        if (v.isConstant()) {
          b += v.type().bytes();
        }
      }
    }
    return b;
  }
}
