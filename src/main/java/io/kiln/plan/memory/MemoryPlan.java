package io.kiln.plan.memory;

import java.util.Map;
import java.util.TreeMap;

/**
 * Where each buffer lives in the static activation arena: its byte offset by lifetime id, and the
 * arena size, which is the end of the highest buffer (not rounded up to the alignment).
 */
public record MemoryPlan(Map<Integer, Long> offsets, long arenaBytes) {

  public MemoryPlan {
    offsets = Map.copyOf(offsets);
    if (arenaBytes < 0) {
      throw new IllegalArgumentException("negative arena size " + arenaBytes);
    }
  }

  public long offset(int lifetimeId) {
    Long off = offsets.get(lifetimeId);
    if (off == null) {
      throw new IllegalArgumentException("no buffer with id " + lifetimeId + " in this plan");
    }
    return off;
  }

  /** One line per buffer in id order, for reports and golden tests. */
  public String describe() {
    StringBuilder sb = new StringBuilder("arena ").append(arenaBytes).append(" bytes\n");
    new TreeMap<>(offsets).forEach((id, off) -> sb.append("  #").append(id).append(" @ ")
        .append(off).append('\n'));
    return sb.toString();
  }
}
