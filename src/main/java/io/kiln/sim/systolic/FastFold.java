package io.kiln.sim.systolic;

/**
 * A fold computed without stepping cycles: for every streamed vector and column, the partial sum
 * goes down the used rows in order ({@code s = s + a·w}, row 0 first, as it passes the PEs of the
 * column) and is then added to the accumulator, which is exactly the int32 arithmetic of
 * {@link SystolicArray} (unused rows add a product of zero there). For whole networks.
 */
public final class FastFold implements Fold {
  private final int rows;
  private final int cols;

  public FastFold(int rows, int cols) {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("array needs rows and cols >= 1");
    }
    this.rows = rows;
    this.cols = cols;
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  @Override
  public void fold(byte[][] a, byte[][] w, int c0, int k0, int[][] acc) {
    int cUsed = Math.min(rows, w.length - c0);
    int kUsed = Math.min(cols, w[0].length - k0);
    // The weight block as the PEs hold it.
    int[][] wb = new int[cUsed][kUsed];
    for (int r = 0; r < cUsed; r++) {
      for (int k = 0; k < kUsed; k++) {
        wb[r][k] = w[c0 + r][k0 + k];
      }
    }
    int[] column = new int[kUsed];
    for (int t = 0; t < a.length; t++) {
      byte[] at = a[t];
      java.util.Arrays.fill(column, 0);
      for (int r = 0; r < cUsed; r++) {
        int x = at[c0 + r];
        if (x == 0) {
          continue;
        }
        int[] wr = wb[r];
        for (int k = 0; k < kUsed; k++) {
          column[k] += x * wr[k];
        }
      }
      int[] out = acc[t];
      for (int k = 0; k < kUsed; k++) {
        out[k0 + k] += column[k];
      }
    }
  }
}
