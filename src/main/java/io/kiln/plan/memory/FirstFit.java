package io.kiln.plan.memory;

import java.util.Arrays;

/**
 * First-fit placement shared by the greedy and exact planners: a buffer goes to the lowest aligned
 * offset where it overlaps no already-placed buffer that is live at the same time, gaps included.
 * Placing buffers in the order of their offsets in any valid plan reproduces that plan or a lower
 * one, which is why searching over orders with this rule can find the optimum.
 */
final class FirstFit {
  private final Buffers bufs;
  private final int alignment;
  /** For every buffer, the buffers whose lifetimes intersect its own. */
  private final int[][] conflicts;
  final long[] offsets;
  final boolean[] placed;
  private final long[] scratchOff;
  private final long[] scratchEnd;

  FirstFit(Buffers bufs, int alignment) {
    this.bufs = bufs;
    this.alignment = alignment;
    int n = bufs.count;
    conflicts = new int[n][];
    for (int a = 0; a < n; a++) {
      int[] row = new int[n];
      int k = 0;
      for (int b = 0; b < n; b++) {
        if (b != a && bufs.bytes[b] > 0 && bufs.conflict(a, b)) {
          row[k++] = b;
        }
      }
      conflicts[a] = Arrays.copyOf(row, k);
    }
    offsets = new long[n];
    placed = new boolean[n];
    scratchOff = new long[n];
    scratchEnd = new long[n];
  }

  /** Whether placing {@code a} can move {@code b} or vice versa (empty buffers move nothing). */
  boolean conflict(int a, int b) {
    return bufs.bytes[a] > 0 && bufs.bytes[b] > 0 && bufs.conflict(a, b);
  }

  /** Places {@code b} and returns the end of its region (0 for an empty buffer). */
  long place(int b) {
    placed[b] = true;
    long size = bufs.bytes[b];
    if (size == 0) {
      // An empty buffer occupies nothing; offset 0 is aligned and harmless.
      offsets[b] = 0;
      return 0;
    }
    int k = 0;
    for (int c : conflicts[b]) {
      if (placed[c]) {
        scratchOff[k] = offsets[c];
        scratchEnd[k] = offsets[c] + bufs.bytes[c];
        k++;
      }
    }
    sortByOffset(k);
    long candidate = 0;
    for (int i = 0; i < k; i++) {
      if (candidate + size <= scratchOff[i]) {
        break; // fits in the gap below this neighbour; later ones start even higher
      }
      // Neighbours sorted by start can still end below an earlier, longer one: keep the max.
      candidate = Math.max(candidate, Buffers.alignUp(scratchEnd[i], alignment));
    }
    offsets[b] = candidate;
    return candidate + size;
  }

  /**
   * Places {@code b} at the highest aligned offset where it ends at or below {@code top} and
   * overlaps no placed, simultaneously live buffer; returns false (leaving it unplaced) if none.
   */
  boolean placeHighest(int b, long top) {
    long size = bufs.bytes[b];
    if (size == 0) {
      placed[b] = true;
      offsets[b] = 0;
      return true;
    }
    int k = 0;
    for (int c : conflicts[b]) {
      if (placed[c]) {
        scratchOff[k] = offsets[c];
        scratchEnd[k] = offsets[c] + bufs.bytes[c];
        k++;
      }
    }
    // The highest valid offset is either just under the top or just under some neighbour.
    long best = -1;
    for (int i = -1; i < k; i++) {
      long limit = i < 0 ? top : scratchOff[i];
      long o = Math.floorDiv(limit - size, alignment) * alignment;
      if (o <= best || o < 0 || o + size > top) {
        continue;
      }
      boolean free = true;
      for (int j = 0; j < k && free; j++) {
        free = o + size <= scratchOff[j] || scratchEnd[j] <= o;
      }
      if (free) {
        best = o;
      }
    }
    if (best < 0) {
      return false;
    }
    placed[b] = true;
    offsets[b] = best;
    return true;
  }

  /** Places every buffer in {@code order} from an empty arena and returns the arena size. */
  long run(int[] order) {
    Arrays.fill(placed, false);
    long arena = 0;
    for (int b : order) {
      arena = Math.max(arena, place(b));
    }
    return arena;
  }

  void unplace(int b) {
    placed[b] = false;
  }

  /** Insertion sort of the (offset, end) pairs by offset: neighbour lists are short. */
  private void sortByOffset(int k) {
    for (int i = 1; i < k; i++) {
      long o = scratchOff[i];
      long e = scratchEnd[i];
      int j = i - 1;
      while (j >= 0 && scratchOff[j] > o) {
        scratchOff[j + 1] = scratchOff[j];
        scratchEnd[j + 1] = scratchEnd[j];
        j--;
      }
      scratchOff[j + 1] = o;
      scratchEnd[j + 1] = e;
    }
  }
}
