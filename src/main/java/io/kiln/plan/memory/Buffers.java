package io.kiln.plan.memory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The planners' view of a lifetime list: alias groups merged into single buffers (union lifetime,
 * largest member size), indexed 0..n-1, so the placement code never thinks about aliases.
 */
final class Buffers {
  final int count;
  final long[] bytes;
  final int[] first;
  final int[] last;
  /** For every input lifetime (in list order), the index of the buffer holding it. */
  private final int[] bufferOf;
  private final List<Lifetime> lifetimes;

  private Buffers(List<Lifetime> lifetimes, int[] bufferOf, int count) {
    this.lifetimes = List.copyOf(lifetimes);
    this.bufferOf = bufferOf;
    this.count = count;
    this.bytes = new long[count];
    this.first = new int[count];
    this.last = new int[count];
    java.util.Arrays.fill(first, Integer.MAX_VALUE);
    java.util.Arrays.fill(last, Integer.MIN_VALUE);
    for (int i = 0; i < lifetimes.size(); i++) {
      Lifetime l = lifetimes.get(i);
      int b = bufferOf[i];
      bytes[b] = Math.max(bytes[b], l.bytes());
      first[b] = Math.min(first[b], l.firstStep());
      last[b] = Math.max(last[b], l.lastStep());
    }
  }

  static Buffers of(List<Lifetime> lifetimes) {
    Map<Integer, Integer> indexOfId = new HashMap<>();
    for (int i = 0; i < lifetimes.size(); i++) {
      if (indexOfId.put(lifetimes.get(i).id(), i) != null) {
        throw new IllegalArgumentException("duplicate lifetime id " + lifetimes.get(i).id());
      }
    }
    int n = lifetimes.size();
    int[] root = new int[n];
    for (int i = 0; i < n; i++) {
      root[i] = rootOf(i, lifetimes, indexOfId);
    }
    // Number the groups in order of their roots' first appearance so results are deterministic.
    int[] bufferOfRoot = new int[n];
    java.util.Arrays.fill(bufferOfRoot, -1);
    int[] bufferOf = new int[n];
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (bufferOfRoot[root[i]] < 0) {
        bufferOfRoot[root[i]] = count++;
      }
      bufferOf[i] = bufferOfRoot[root[i]];
    }
    return new Buffers(lifetimes, bufferOf, count);
  }

  /** Follows {@code aliasOf} links to the lifetime that owns the storage. */
  private static int rootOf(int start, List<Lifetime> lifetimes, Map<Integer, Integer> indexOfId) {
    int i = start;
    // A chain longer than the list must have a cycle.
    for (int steps = 0; steps <= lifetimes.size(); steps++) {
      Lifetime l = lifetimes.get(i);
      if (l.aliasOf().isEmpty()) {
        return i;
      }
      Integer next = indexOfId.get(l.aliasOf().getAsInt());
      if (next == null) {
        throw new IllegalArgumentException("buffer '" + l.name() + "' aliases unknown id "
            + l.aliasOf().getAsInt());
      }
      i = next;
    }
    throw new IllegalArgumentException("alias cycle through buffer '"
        + lifetimes.get(start).name() + "'");
  }

  boolean conflict(int a, int b) {
    return first[a] <= last[b] && first[b] <= last[a];
  }

  /** Expands per-buffer offsets back to every lifetime id. */
  MemoryPlan toPlan(long[] bufferOffsets) {
    Map<Integer, Long> offsets = new HashMap<>();
    long arena = 0;
    for (int i = 0; i < lifetimes.size(); i++) {
      offsets.put(lifetimes.get(i).id(), bufferOffsets[bufferOf[i]]);
    }
    for (int b = 0; b < count; b++) {
      if (bytes[b] > 0) {
        arena = Math.max(arena, bufferOffsets[b] + bytes[b]);
      }
    }
    return new MemoryPlan(offsets, arena);
  }

  List<Integer> indices() {
    List<Integer> ids = new ArrayList<>(count);
    for (int b = 0; b < count; b++) {
      ids.add(b);
    }
    return ids;
  }

  static long alignUp(long x, int alignment) {
    return (x + alignment - 1) / alignment * alignment;
  }

  static void checkAlignment(int alignment) {
    if (alignment < 1) {
      throw new IllegalArgumentException("alignment must be at least 1, got " + alignment);
    }
  }
}
