package io.kiln.sim.systolic;

import java.util.concurrent.atomic.AtomicLong;

/** A fold that counts how many folds the data flow runs (for the tests and the bench). */
public record CountingFold(Fold inner, AtomicLong count) implements Fold {
  @Override
  public void fold(byte[][] a, byte[][] w, int c0, int k0, int[][] acc) {
    count.incrementAndGet();
    inner.fold(a, w, c0, k0, acc);
  }

  @Override
  public int rows() {
    return inner.rows();
  }

  @Override
  public int cols() {
    return inner.cols();
  }
}
