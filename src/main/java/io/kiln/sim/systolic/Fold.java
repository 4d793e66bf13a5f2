package io.kiln.sim.systolic;

/**
 * One fold of a weight-stationary array: a block of at most rows x cols weights held in the PEs
 * while the input vectors stream through, the partial sums that leave the bottom of each column
 * added to int32 accumulators. {@link SystolicArray} steps it cycle by cycle (the reference);
 * {@link FastFold} computes the same sums in the same order without the cycles.
 */
public interface Fold {
  /**
   * {@code acc[t][k0 + k] += Σ_r a[t][c0 + r] · w[c0 + r][k0 + k]} for the block of reduction rows
   * {@code [c0, c0 + rows)} and output columns {@code [k0, k0 + cols)}, clipped to the matrices:
   * {@code a} is T x C int8, {@code w} C x K int8, {@code acc} T x K int32.
   */
  void fold(byte[][] a, byte[][] w, int c0, int k0, int[][] acc);

  int rows();

  int cols();

  /** Makes the array of a rows x cols engine. */
  @FunctionalInterface
  interface Factory {
    Fold of(int rows, int cols);
  }
}
