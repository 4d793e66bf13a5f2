package io.kiln.plan.tiling;

/**
 * A utilization term Hᵢ of the tiling objective, with its weight βᵢ. Every term is non-negative
 * and gives an upper bound over a box of tile sizes, which is all a pruning solver needs.
 */
public sealed interface Heuristic {

  /** βᵢ, at least 0. */
  long weight();

  /** Hᵢ of one tile; {@code kernel} is FY·FX of the layer. */
  long value(int[] tile, int kernel);

  /**
   * An upper bound of Hᵢ over the tiles whose size along each dimension lies between {@code lo}
   * and {@code hi}, taking only values from {@code domains} (sorted allowed sizes per dimension).
   */
  long upperBound(int[][] domains, int[] lo, int[] hi, int kernel);

  /**
   * DORY's alignment term: {@code (tile - 1) mod m}, largest when the tile is a multiple of the
   * array's unrolling {@code m}, so that no lane idles on the last pass.
   */
  record MultipleOf(Dim dim, int m, long weight) implements Heuristic {
    public MultipleOf {
      if (m < 1 || weight < 0) {
        throw new IllegalArgumentException("MULTIPLE_OF needs m >= 1 and a non-negative weight");
      }
    }

    @Override
    public long value(int[] tile, int kernel) {
      return (tile[dim.ordinal()] - 1) % m;
    }

    @Override
    public long upperBound(int[][] domains, int[] lo, int[] hi, int kernel) {
      int d = dim.ordinal();
      if (hi[d] - lo[d] + 1 > m) {
        return m - 1;
      }
      long best = 0;
      for (int i = lo[d]; i <= hi[d]; i++) {
        best = Math.max(best, (domains[d][i] - 1) % m);
      }
      return best;
    }

    @Override
    public String toString() {
      return "MULTIPLE_OF(" + dim + ", " + m + ")*" + weight;
    }
  }

  /** The tile size itself, e.g. tile height so that DMA transfers stay long and contiguous. */
  record Maximize(Dim dim, long weight) implements Heuristic {
    public Maximize {
      if (weight < 0) {
        throw new IllegalArgumentException("MAXIMIZE needs a non-negative weight");
      }
    }

    @Override
    public long value(int[] tile, int kernel) {
      return tile[dim.ordinal()];
    }

    @Override
    public long upperBound(int[][] domains, int[] lo, int[] hi, int kernel) {
      int d = dim.ordinal();
      return domains[d][hi[d]];
    }

    @Override
    public String toString() {
      return "MAXIMIZE(" + dim + ")*" + weight;
    }
  }

  /**
   * How much of one array dimension a tile fills: the product of the tile over {@code dims}
   * (times FY·FX when {@code withKernel}, as the rows of an analog array hold C·FY·FX), capped at
   * {@code arraySize}.
   */
  record Unroll(java.util.List<Dim> dims, boolean withKernel, long arraySize, long weight) implements Heuristic {
    public Unroll {
      dims = java.util.List.copyOf(dims);
      if (dims.isEmpty() || arraySize < 1 || weight < 0) {
        throw new IllegalArgumentException("UNROLL needs dimensions, an array size >= 1 and a non-negative weight");
      }
    }

    @Override
    public long value(int[] tile, int kernel) {
      long p = withKernel ? kernel : 1;
      for (Dim d : dims) {
        p *= tile[d.ordinal()];
      }
      return Math.min(p, arraySize);
    }

    @Override
    public long upperBound(int[][] domains, int[] lo, int[] hi, int kernel) {
      long p = withKernel ? kernel : 1;
      for (Dim d : dims) {
        p *= domains[d.ordinal()][hi[d.ordinal()]];
      }
      return Math.min(p, arraySize);
    }

    @Override
    public String toString() {
      return "UNROLL(" + dims + (withKernel ? "*FY*FX" : "") + ", " + arraySize + ")*" + weight;
    }
  }
}
