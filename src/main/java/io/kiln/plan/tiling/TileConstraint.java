package io.kiln.plan.tiling;

/**
 * A hard rule on one dimension's tile size that the hardware imposes. Each rule only restricts the
 * values one dimension may take, so solvers can turn all of them into a list of allowed sizes.
 */
public sealed interface TileConstraint {

  /** The dimension this rule restricts. */
  Dim dim();

  /** Whether {@code tile} is allowed for a dimension of size {@code full}. */
  boolean allows(int tile, int full);

  /** The dimension is never split (for example C of an accelerator that requantizes in place). */
  record Untiled(Dim dim) implements TileConstraint {
    @Override
    public boolean allows(int tile, int full) {
      return tile == full;
    }

    @Override
    public String toString() {
      return dim + " untiled";
    }
  }

  /** Tiles are a multiple of {@code m} (array alignment), or the whole dimension. */
  record MultipleOf(Dim dim, int m) implements TileConstraint {
    public MultipleOf {
      if (m < 1) {
        throw new IllegalArgumentException("multiple must be at least 1, got " + m);
      }
    }

    @Override
    public boolean allows(int tile, int full) {
      return tile % m == 0 || tile == full;
    }

    @Override
    public String toString() {
      return dim + " multiple of " + m;
    }
  }

  /** Tiles are at most {@code max} (array size, rows one DMA descriptor can move). */
  record AtMost(Dim dim, int max) implements TileConstraint {
    public AtMost {
      if (max < 1) {
        throw new IllegalArgumentException("maximum must be at least 1, got " + max);
      }
    }

    @Override
    public boolean allows(int tile, int full) {
      return tile <= max;
    }

    @Override
    public String toString() {
      return dim + " <= " + max;
    }
  }

  /**
   * Each output row has weights of its own (a matmul's batches, each its own GEMM with its own
   * right operand): a tile holds one row, and the weight buffer streams with the rows.
   */
  record WeightsPerRow() implements TileConstraint {
    @Override
    public Dim dim() {
      return Dim.OY;
    }

    @Override
    public boolean allows(int tile, int full) {
      return tile == 1;
    }

    @Override
    public String toString() {
      return "OY 1 (weights per row)";
    }
  }

  /** Tiles are at least {@code min}, or the whole dimension when it is smaller. */
  record AtLeast(Dim dim, int min) implements TileConstraint {
    @Override
    public boolean allows(int tile, int full) {
      return tile >= Math.min(min, full);
    }

    @Override
    public String toString() {
      return dim + " >= " + min;
    }
  }
}
