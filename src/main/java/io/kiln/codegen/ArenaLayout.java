package io.kiln.codegen;

import io.kiln.ir.Graph;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each activation that lives in the static arena starts, and how big the arena is. The
 * code generator only reads this; the static memory planner will provide a better one.
 */
public interface ArenaLayout {

  /** Byte offset of {@code valueId} in the arena; the value must be one that was planned. */
  long offset(int valueId);

  /** Total arena size in bytes. */
  long arenaBytes();

  /** Plans the arena for the given values (activations that are neither graph inputs nor
   * written straight into an output buffer), which the graph's nodes produce in order. */
  @FunctionalInterface
  interface Planner {
    ArenaLayout plan(Graph graph, List<Integer> arenaValues);
  }

  /** Alignment of every region: enough for int32 and float elements. */
  int ALIGNMENT = 4;

  /** The trivial baseline: every value its own region, one after another, nothing reused. */
  Planner SEPARATE_REGIONS = (graph, values) -> {
    Map<Integer, Long> offsets = new HashMap<>();
    long next = 0;
    for (int id : values) {
      offsets.put(id, next);
      long bytes = graph.type(id).bytes();
      next += (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
    long total = next;
    return new ArenaLayout() {
      @Override
      public long offset(int valueId) {
        Long off = offsets.get(valueId);
        if (off == null) {
          throw new IllegalArgumentException("value %" + valueId + " was not planned");
        }
        return off;
      }

      @Override
      public long arenaBytes() {
        return total;
      }
    };
  };
}
