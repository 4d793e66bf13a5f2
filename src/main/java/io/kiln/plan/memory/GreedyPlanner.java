package io.kiln.plan.memory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The default planner: first-fit placement (lowest aligned offset, gaps included) under several
 * buffer orders — largest first, largest size×lifetime first, earliest first, longest first,
 * most-contended first — keeping the smallest arena, then improves the winner by local search and
 * tries a two-sided placement aimed at the lower bound. No single order is best on every graph,
 * and trying a handful costs microseconds; {@link BranchAndBoundPlanner} closes what remains.
 */
public final class GreedyPlanner implements MemoryPlanner {

  /** How many candidate orders the local search may place. */
  private static final int LOCAL_SEARCH_RUNS = 256;

  /** A named buffer order, so tests and reports can say which one won. */
  record Ordering(String name, Comparator<Integer> order) {}

  @Override
  public MemoryPlan plan(List<Lifetime> lifetimes, int alignment) {
    Buffers.checkAlignment(alignment);
    Buffers bufs = Buffers.of(lifetimes);
    return bufs.toPlan(bestOffsets(bufs, alignment));
  }

  /** Offsets of the best order for already-merged buffers. */
  static long[] bestOffsets(Buffers bufs, int alignment) {
    FirstFit ff = new FirstFit(bufs, alignment);
    int[] bestOrder = null;
    long bestArena = Long.MAX_VALUE;
    for (Ordering o : orderings(bufs)) {
      List<Integer> sorted = new ArrayList<>(bufs.indices());
      sorted.sort(o.order().thenComparing(Comparator.naturalOrder()));
      int[] order = sorted.stream().mapToInt(Integer::intValue).toArray();
      long arena = ff.run(order);
      if (arena < bestArena) {
        bestArena = arena;
        bestOrder = order;
      }
    }
    long lower = LowerBound.of(bufs, alignment);
    long[] best;
    if (bestArena > lower && twoSided(bufs, ff, lower)) {
      bestArena = lower;
      best = ff.offsets.clone();
    } else {
      bestArena = promoteToFront(ff, bestOrder, bestArena, lower);
      ff.run(bestOrder);
      best = ff.offsets.clone();
    }
    // With alignment padding, first-fit can lose a few bytes to stacking everything (the linear
    // plan leaves only its top buffer unpadded); never return worse than the baseline.
    long[] linear = linearOffsets(bufs, alignment);
    if (arenaOf(bufs, linear) < bestArena) {
      best = linear;
    }
    return best;
  }

  /**
   * Local search on a placement order: move one buffer to the front whenever that shrinks the
   * arena, until no move helps or the lower bound is reached. This fixes what size order gets
   * wrong under alignment — which of two neighbours sits at the bottom, where its padding is free
   * — and some fragmentation around long-lived buffers. Updates {@code order} in place.
   */
  private static long promoteToFront(FirstFit ff, int[] order, long arena, long lower) {
    int n = order.length;
    int[] candidate = new int[n];
    boolean improved = true;
    // Each full round costs n placements of n buffers; a few rounds capture nearly all the gain.
    int runs = 0;
    while (improved && arena > lower && runs < LOCAL_SEARCH_RUNS) {
      improved = false;
      for (int i = 1; i < n && !improved && runs++ < LOCAL_SEARCH_RUNS; i++) {
        candidate[0] = order[i];
        System.arraycopy(order, 0, candidate, 1, i);
        System.arraycopy(order, i + 1, candidate, i + 1, n - i - 1);
        long a = ff.run(candidate);
        if (a < arena) {
          arena = a;
          System.arraycopy(candidate, 0, order, 0, n);
          improved = true;
        }
      }
    }
    return arena;
  }

  /**
   * Tries to fit everything under the lower bound, in order of first use, stacking from the
   * bottom while the bottom is free and hanging buffers from the top once it is not. On a chain
   * this alternates neighbours between the two ends, which meets the bound exactly (without
   * alignment padding); first-fit from the bottom alone can pile three neighbours up instead.
   * Leaves the plan in {@code ff} and returns whether it fits.
   */
  private static boolean twoSided(Buffers bufs, FirstFit ff, long top) {
    List<Integer> order = new ArrayList<>(bufs.indices());
    order.sort(Comparator.<Integer>comparingInt(b -> bufs.first[b])
        .thenComparingLong(b -> -bufs.bytes[b]).thenComparing(Comparator.naturalOrder()));
    java.util.Arrays.fill(ff.placed, false);
    for (int b : order) {
      long end = ff.place(b);
      if (ff.offsets[b] == 0 && end <= top) {
        continue;
      }
      ff.unplace(b);
      if (!ff.placeHighest(b, top)) {
        return false;
      }
    }
    return true;
  }

  static long[] linearOffsets(Buffers bufs, int alignment) {
    long[] offsets = new long[bufs.count];
    long next = 0;
    for (int b = 0; b < bufs.count; b++) {
      offsets[b] = next;
      next = Buffers.alignUp(next + bufs.bytes[b], alignment);
    }
    return offsets;
  }

  static long arenaOf(Buffers bufs, long[] offsets) {
    long arena = 0;
    for (int b = 0; b < bufs.count; b++) {
      if (bufs.bytes[b] > 0) {
        arena = Math.max(arena, offsets[b] + bufs.bytes[b]);
      }
    }
    return arena;
  }

  static List<Ordering> orderings(Buffers bufs) {
    long[] size = bufs.bytes;
    int[] first = bufs.first;
    int[] last = bufs.last;
    // Bytes of everything a buffer must avoid: a proxy for how hard it is to place late.
    long[] contention = new long[bufs.count];
    for (int a = 0; a < bufs.count; a++) {
      for (int b = 0; b < bufs.count; b++) {
        if (a != b && bufs.conflict(a, b)) {
          contention[a] += size[b];
        }
      }
    }
    Comparator<Integer> bySize = Comparator.comparingLong(b -> -size[b]);
    Comparator<Integer> byDuration = Comparator.comparingInt(b -> -(last[b] - first[b]));
    Comparator<Integer> byFirst = Comparator.comparingInt(b -> first[b]);
    return List.of(
        new Ordering("size", bySize.thenComparing(byDuration).thenComparing(byFirst)),
        new Ordering("size*lifetime", Comparator.<Integer>comparingLong(
            b -> -size[b] * (last[b] - first[b] + 1)).thenComparing(bySize)),
        new Ordering("first-use", byFirst.thenComparing(bySize)),
        new Ordering("lifetime", byDuration.thenComparing(bySize)),
        new Ordering("contention", Comparator.<Integer>comparingLong(
            b -> -(contention[b] + size[b])).thenComparing(bySize)));
  }
}
