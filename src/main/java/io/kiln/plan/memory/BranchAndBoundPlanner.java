package io.kiln.plan.memory;

import java.util.List;

/**
 * An exact planner for small graphs: starts from the greedy plan and searches every placement
 * order under first-fit (which contains an optimal plan, see {@link FirstFit}), pruning partial
 * orders that already reach the best arena and stopping at the lower bound. A step budget keeps
 * large graphs cheap; the result says whether optimality was proven.
 */
public final class BranchAndBoundPlanner implements MemoryPlanner {

  /** A plan and whether no smaller arena exists for the same lifetimes and alignment. */
  public record Result(MemoryPlan plan, boolean provenOptimal) {}

  /** Default number of first-fit placements the search may spend. */
  public static final long DEFAULT_BUDGET = 2_000_000;

  private final long budget;

  public BranchAndBoundPlanner() {
    this(DEFAULT_BUDGET);
  }

  public BranchAndBoundPlanner(long budget) {
    if (budget < 0) {
      throw new IllegalArgumentException("negative search budget " + budget);
    }
    this.budget = budget;
  }

  @Override
  public MemoryPlan plan(List<Lifetime> lifetimes, int alignment) {
    return search(lifetimes, alignment).plan();
  }

  public Result search(List<Lifetime> lifetimes, int alignment) {
    Buffers.checkAlignment(alignment);
    Buffers bufs = Buffers.of(lifetimes);
    long lower = LowerBound.of(bufs, alignment);
    Search s = new Search(bufs, alignment, lower, budget);
    s.best = GreedyPlanner.bestOffsets(bufs, alignment);
    s.bestArena = GreedyPlanner.arenaOf(bufs, s.best);
    if (s.bestArena > lower) {
      s.dfs(0, -1, 0);
    }
    boolean proven = s.bestArena == lower || !s.exhausted;
    return new Result(bufs.toPlan(s.best), proven);
  }

  /** Depth-first search state over placement orders. */
  private static final class Search {
    final Buffers bufs;
    final FirstFit ff;
    final long lower;
    long steps;
    final long budget;
    boolean exhausted;
    long[] best;
    long bestArena;

    Search(Buffers bufs, int alignment, long lower, long budget) {
      this.bufs = bufs;
      this.ff = new FirstFit(bufs, alignment);
      this.lower = lower;
      this.budget = budget;
    }

    void dfs(int depth, int previous, long peak) {
      if (depth == bufs.count) {
        if (peak < bestArena) {
          bestArena = peak;
          best = ff.offsets.clone();
        }
        return;
      }
      for (int b = 0; b < bufs.count; b++) {
        if (ff.placed[b]) {
          continue;
        }
        // Placing two buffers with disjoint lifetimes in either order gives the same plan, so
        // only the order with the smaller index first is explored.
        if (previous >= 0 && b < previous && !ff.conflict(b, previous)) {
          continue;
        }
        if (++steps > budget) {
          exhausted = true;
          return;
        }
        long end = ff.place(b);
        long newPeak = Math.max(peak, end);
        if (newPeak < bestArena) {
          dfs(depth + 1, b, newPeak);
        }
        ff.unplace(b);
        if (exhausted || bestArena == lower) {
          return;
        }
      }
    }
  }
}
