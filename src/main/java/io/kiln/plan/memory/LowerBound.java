package io.kiln.plan.memory;

import java.util.List;

/**
 * A lower bound on any valid arena: the most bytes live at one step. Buffers live at one step are
 * pairwise disjoint, and all but the highest of them are followed by an aligned start, so each of
 * those effectively occupies its size rounded up to the alignment.
 */
public final class LowerBound {
  private LowerBound() {}

  public static long of(List<Lifetime> lifetimes, int alignment) {
    Buffers.checkAlignment(alignment);
    return of(Buffers.of(lifetimes), alignment);
  }

  static long of(Buffers bufs, int alignment) {
    long bound = 0;
    // The live set only grows at a buffer's first step, so those are the steps worth checking.
    for (int s = 0; s < bufs.count; s++) {
      int step = bufs.first[s];
      long rounded = 0;
      long maxSlack = 0;
      for (int b = 0; b < bufs.count; b++) {
        if (bufs.bytes[b] > 0 && bufs.first[b] <= step && step <= bufs.last[b]) {
          long r = Buffers.alignUp(bufs.bytes[b], alignment);
          rounded += r;
          maxSlack = Math.max(maxSlack, r - bufs.bytes[b]);
        }
      }
      bound = Math.max(bound, rounded - maxSlack);
    }
    return bound;
  }
}
