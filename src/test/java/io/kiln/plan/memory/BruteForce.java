package io.kiln.plan.memory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only exact arena sizes computed without the planners' code: merged alias groups, then
 * either every aligned offset assignment (tiny sets) or every placement order under a separately
 * written first-fit (small sets).
 */
final class BruteForce {
  private BruteForce() {}

  /** Alias-merged buffers as {bytes, first, last}. */
  static List<long[]> groups(List<Lifetime> ls) {
    Map<Integer, Lifetime> byId = new HashMap<>();
    ls.forEach(l -> byId.put(l.id(), l));
    Map<Integer, long[]> g = new java.util.LinkedHashMap<>();
    for (Lifetime l : ls) {
      Lifetime r = l;
      while (r.aliasOf().isPresent()) {
        r = byId.get(r.aliasOf().getAsInt());
      }
      g.merge(r.id(), new long[] {l.bytes(), l.firstStep(), l.lastStep()},
          (a, b) -> new long[] {Math.max(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2])});
    }
    List<long[]> out = new ArrayList<>();
    for (long[] b : g.values()) {
      if (b[0] > 0) {
        out.add(b);
      }
    }
    return out;
  }

  static boolean live(long[] a, long[] b) {
    return a[1] <= b[2] && b[1] <= a[2];
  }

  /** Smallest arena by trying arena sizes upward and every aligned offset of every buffer. */
  static long optimum(List<Lifetime> ls, int alignment) {
    List<long[]> bs = groups(ls);
    long total = 0;
    for (long[] b : bs) {
      total += (b[0] + alignment - 1) / alignment * alignment;
    }
    for (long arena = 0; arena <= total; arena++) {
      if (fits(bs, new long[bs.size()], 0, arena, alignment)) {
        return arena;
      }
    }
    throw new AssertionError("stacking everything must fit");
  }

  private static boolean fits(List<long[]> bs, long[] off, int i, long arena, int alignment) {
    if (i == bs.size()) {
      return true;
    }
    long[] b = bs.get(i);
    for (long o = 0; o + b[0] <= arena; o += alignment) {
      boolean ok = true;
      for (int j = 0; j < i && ok; j++) {
        long[] c = bs.get(j);
        ok = !live(b, c) || o + b[0] <= off[j] || off[j] + c[0] <= o;
      }
      if (ok) {
        off[i] = o;
        if (fits(bs, off, i + 1, arena, alignment)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Smallest arena over every placement order, each placed at its lowest free aligned offset. */
  static long bestOverOrders(List<Lifetime> ls, int alignment) {
    List<long[]> bs = groups(ls);
    return permute(bs, new int[bs.size()], new boolean[bs.size()], 0, alignment);
  }

  private static long permute(List<long[]> bs, int[] order, boolean[] used, int depth,
      int alignment) {
    if (depth == bs.size()) {
      return arenaOf(bs, order, alignment);
    }
    long best = Long.MAX_VALUE;
    for (int i = 0; i < bs.size(); i++) {
      if (!used[i]) {
        used[i] = true;
        order[depth] = i;
        best = Math.min(best, permute(bs, order, used, depth + 1, alignment));
        used[i] = false;
      }
    }
    return best;
  }

  private static long arenaOf(List<long[]> bs, int[] order, int alignment) {
    long[] off = new long[bs.size()];
    boolean[] done = new boolean[bs.size()];
    long arena = 0;
    for (int i : order) {
      long[] b = bs.get(i);
      // Lowest aligned offset clear of every placed, simultaneously live buffer: try each
      // candidate (0 or just above a neighbour) and keep the lowest that is free.
      long best = Long.MAX_VALUE;
      List<Long> candidates = new ArrayList<>(List.of(0L));
      for (int j = 0; j < bs.size(); j++) {
        if (done[j] && live(b, bs.get(j))) {
          candidates.add((off[j] + bs.get(j)[0] + alignment - 1) / alignment * alignment);
        }
      }
      for (long o : candidates) {
        boolean free = true;
        for (int j = 0; j < bs.size() && free; j++) {
          long[] c = bs.get(j);
          free = !done[j] || !live(b, c) || o + b[0] <= off[j] || off[j] + c[0] <= o;
        }
        if (free) {
          best = Math.min(best, o);
        }
      }
      off[i] = best;
      done[i] = true;
      arena = Math.max(arena, best + b[0]);
    }
    return arena;
  }
}
