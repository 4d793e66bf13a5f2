package io.kiln.plan.deploy;

/**
 * The bytes one side of a DMA transfer touches exactly: {@code planes} planes of {@code rows}
 * rows of {@code run} contiguous bytes from {@code base}. Two per-channel copies of a CHW tile
 * have interleaved bounding regions but share no byte; waits between transfers test this, not
 * the bounds, so such copies may run at once.
 */
public record Strided(String memory, long base, long run, long rows, long rowStride, long planes, long planeStride) {

  /** From the first to one past the last byte. */
  public Region bounds() {
    return new Region(memory, base, (planes - 1) * planeStride + (rows - 1) * rowStride + run);
  }

  /** Whether some byte of {@code r} is one of these. */
  public boolean intersects(Region r) {
    if (!bounds().overlaps(r)) {
      return false;
    }
    for (long p = 0; p < planes; p++) {
      if (rowsHit(base + p * planeStride, r.offset(), r.end())) {
        return true;
      }
    }
    return false;
  }

  /** Whether the two share a byte. */
  public boolean intersects(Strided o) {
    if (!bounds().overlaps(o.bounds())) {
      return false;
    }
    // Walk the runs of the side with fewer and test each against the other's rows.
    Strided few = rows * planes <= o.rows * o.planes ? this : o;
    Strided many = few == this ? o : this;
    for (long p = 0; p < few.planes; p++) {
      for (long r = 0; r < few.rows; r++) {
        long a = few.base + p * few.planeStride + r * few.rowStride;
        if (many.intersects(new Region(memory, a, few.run))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether a row of the plane starting at {@code start} meets {@code [from, to)}. */
  private boolean rowsHit(long start, long from, long to) {
    if (rows == 1 || rowStride == 0) {
      return start < to && from < start + run;
    }
    // Rows r with start + r·rowStride < to and start + r·rowStride + run > from.
    long lo = Math.max(0, Math.floorDiv(from - run - start, rowStride) + 1);
    long hi = Math.min(rows - 1, Math.floorDiv(to - 1 - start, rowStride));
    return lo <= hi;
  }
}
