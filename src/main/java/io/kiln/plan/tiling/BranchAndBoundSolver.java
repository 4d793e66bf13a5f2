package io.kiln.plan.tiling;

/**
 * The fast solver: a depth-first branch and bound over boxes of tile sizes. A box holds, per
 * dimension, a range of allowed sizes; it is dropped when even its smallest tile overflows a
 * memory (buffers only grow with tile sizes) or when an upper bound of the objective over it
 * cannot beat the best tile found so far. Larger halves are searched first since the memory term
 * favours large tiles, so a good incumbent appears early and most boxes are cut.
 *
 * <p>It reaches the exhaustive solver's objective value exactly: every bound is a true bound, and
 * only boxes that cannot do strictly better are dropped.
 */
public final class BranchAndBoundSolver implements TilingSolver {

  @Override
  public TilingResult solve(TileProblem p) {
    int[][] domains = p.allowedDomains();
    var settled = Untiled.withoutSearch(p, domains);
    if (settled.isPresent()) {
      return settled.get();
    }
    Search s = new Search(p, domains);
    int[] lo = new int[4];
    int[] hi = new int[4];
    for (int d = 0; d < 4; d++) {
      hi[d] = domains[d].length - 1;
    }
    s.search(lo, hi);
    return s.best == null ? Infeasibility.explain(p) : new TilingResult.Solved(Tiling.of(p, s.best));
  }

  private static final class Search {
    final TileProblem p;
    final int[][] domains;
    final int[][] heuristicDomains;
    final int kernel;
    int[] best;
    long bestValue = Long.MIN_VALUE;

    Search(TileProblem p, int[][] domains) {
      this.p = p;
      this.domains = domains;
      // Depthwise heuristics on C see K's tile (see ObjectiveValue.effective).
      this.heuristicDomains = p.layer().depthwise()
          ? new int[][] {domains[0], domains[0], domains[2], domains[3]}
          : domains;
      this.kernel = p.layer().fy() * p.layer().fx();
    }

    void search(int[] lo, int[] hiIn) {
      int[] small = values(lo);
      int[] large = values(hiIn);
      if (!Footprint.lowerBound(p, small, large).fits(p.memories())) {
        return;
      }
      // Propagate the memories into the box: along each dimension, sizes that overflow even with
      // every other dimension at its smallest can be dropped. This keeps the upper bound of the
      // memory term honest, where the box's largest corner would otherwise overflow far.
      int[] hi = hiIn.clone();
      for (int d = 0; d < 4; d++) {
        hi[d] = largestFitting(small, large, d, lo[d], hi[d]);
      }
      int widest = -1;
      int width = 0;
      for (int d = 0; d < 4; d++) {
        if (hi[d] - lo[d] > width) {
          width = hi[d] - lo[d];
          widest = d;
        }
      }
      if (widest < 0) {
        Footprint f = Footprint.of(p, small);
        if (f.fits(p.memories())) {
          long v = ObjectiveValue.of(p, small, f);
          if (v > bestValue) {
            bestValue = v;
            best = small;
          }
        }
        return;
      }
      if (best != null && upperBound(lo, hi, large) <= bestValue) {
        return;
      }
      int mid = (lo[widest] + hi[widest]) >>> 1;
      int[] upperLo = lo.clone();
      upperLo[widest] = mid + 1;
      search(upperLo, hi);
      int[] lowerHi = hi.clone();
      lowerHi[widest] = mid;
      search(lo, lowerHi);
    }

    /** The largest index in {@code [from, to]} along {@code d} whose lower bound still fits. */
    private int largestFitting(int[] small, int[] large, int d, int from, int to) {
      int[] probe = small.clone();
      int ok = from;
      int bad = to + 1;
      while (bad - ok > 1) {
        int mid = (ok + bad) >>> 1;
        probe[d] = domains[d][mid];
        if (Footprint.lowerBound(p, probe, large).fits(p.memories())) {
          ok = mid;
        } else {
          bad = mid;
        }
      }
      return ok;
    }

    /**
     * An upper bound of the objective over the box; {@code hiBefore} is the corner before
     * propagation, which still decides which buffers are split in every tile of the box.
     */
    private long upperBound(int[] lo, int[] hi, int[] hiBefore) {
      Objective o = p.objective();
      // One tile's data is at most the largest corner's, and at most what is left of L1 after
      // the second copies that every tile of the box needs.
      int[] small = values(lo);
      Footprint floor = Footprint.lowerBound(p, small, hiBefore);
      long secondCopies = floor.l1Bytes() - Footprint.lowerBound(p, small, fullSizes())
          .l1Bytes();
      long data = Math.min(Footprint.of(p, values(hi)).dataBytes(), p.memories().l1Bytes() - Math.max(0, secondCopies));
      long ub = o.alpha() * data;
      int[] hlo = p.layer().depthwise() ? new int[] {lo[0], lo[0], lo[2], lo[3]} : lo;
      int[] hhi = p.layer().depthwise() ? new int[] {hi[0], hi[0], hi[2], hi[3]} : hi;
      for (Heuristic h : o.heuristics()) {
        ub += h.weight() * h.upperBound(heuristicDomains, hlo, hhi, kernel);
      }
      return ub;
    }

    private int[] fullSizes() {
      LayerShape l = p.layer();
      return new int[] {l.k(), l.c(), l.oy(), l.ox()};
    }

    private int[] values(int[] idx) {
      return new int[] {domains[0][idx[0]], domains[1][idx[1]], domains[2][idx[2]], domains[3][idx[3]]};
    }
  }
}
