package io.kiln.plan.schedule;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.plan.memory.GreedyPlanner;
import io.kiln.plan.memory.Lifetimes;
import io.kiln.plan.memory.MemoryPlan;
import io.kiln.target.HardwareDescription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    long arena = l2ArenaBytes(g, plans);
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
    return l2Arena(g, Map.of()).arenaBytes();
  }

  /**
   * The L2 activation arena when {@code plans} run: a layer with fused nodes is one step, and the
   * values that pass between its stages (a convolution's output feeding its fused residual Add or
   * pooling) stay in L1, so they take no arena space.
   */
  public static long l2ArenaBytes(Graph g, List<LayerPlan> plans) {
    Map<Node, List<Node>> fused = new HashMap<>();
    for (LayerPlan p : plans) {
      if (!p.fused().isEmpty()) {
        fused.put(p.node(), p.fused());
      }
    }
    return l2ArenaBytes(g, fused);
  }

  /**
   * The L2 activation arena when each key of {@code fusedByRoot} runs its nodes (in dataflow
   * order) in its own calls; see {@link #l2ArenaBytes(Graph, List)}.
   */
  public static long l2ArenaBytes(Graph g, Map<Node, List<Node>> fusedByRoot) {
    return l2Arena(g, fusedByRoot).arenaBytes();
  }

  /**
   * The L2 activation arena with every buffer's offset (by value id; a reshape that aliases its
   * input has its input's offset) when each key of {@code fusedByRoot} runs its nodes in its own
   * calls: those values that pass between the stages of one call stay on chip and have none.
   */
  public static MemoryPlan l2Arena(Graph g, Map<Node, List<Node>> fusedByRoot) {
    if (fusedByRoot.isEmpty()) {
      return new GreedyPlanner().plan(Lifetimes.of(g), ARENA_ALIGNMENT);
    }
    List<Node> nodes = g.nodes();
    Set<Integer> onChip = new HashSet<>();
    Set<Node> moved = new HashSet<>();
    for (var e : fusedByRoot.entrySet()) {
      onChip.add(e.getKey().output());
      List<Node> stages = e.getValue();
      for (int f = 0; f < stages.size(); f++) {
        moved.add(stages.get(f));
        if (f < stages.size() - 1) {
          onChip.add(stages.get(f).output());
        }
      }
    }
    // Execution order: graph order, with each fused node moved into its root's step; nodes between
    // a root and its fused nodes run after the fused call.
    List<Node> executed = new ArrayList<>();
    int[] stepOf = new int[nodes.size()];
    int step = -1;
    for (Node n : nodes) {
      if (moved.contains(n)) {
        continue;
      }
      step++;
      stepOf[executed.size()] = step;
      executed.add(n);
      for (Node f : fusedByRoot.getOrDefault(n, List.of())) {
        stepOf[executed.size()] = step;
        executed.add(f);
      }
    }
    Graph order = new Graph(g.name(), g.values(), executed, g.inputs(), g.outputs());
    return new GreedyPlanner().plan(Lifetimes.of(order, stepOf, onChip), ARENA_ALIGNMENT);
  }
}
