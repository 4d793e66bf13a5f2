package io.kiln.sim.systolic;

/**
 * A weight-stationary systolic array stepped cycle by cycle, functional and timed at once, the
 * reference for {@link FastFold} and for the {@link SystolicEngine}'s closed-form fold timing. For
 * one fold, the rows of the weight block are shifted in from the top, one a cycle, last row first
 * (PE rows below the block keep what they held: their inputs are zero); then input vectors enter
 * the left edge, row r of vector t at cycle t + r (the skew the SRAM arrays' addresses provide),
 * each tagged with its vector, move one PE right per cycle, and each PE adds its product to the
 * partial sum arriving from above; a valid sum leaving the bottom of a used column goes to the
 * vector ALUs, which add it to the accumulator of its vector. A fold ends on the cycle its last
 * valid sum leaves, so its length is observed, not computed: the weight load plus the stream.
 */
public final class SystolicArray implements Fold {
  private final int rows;
  private final int cols;
  // What each PE holds across folds.
  private final int[][] weight;
  private long cycles;
  private long folds;
  private long lastFold;

  public SystolicArray(int rows, int cols) {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("array needs rows and cols >= 1");
    }
    this.rows = rows;
    this.cols = cols;
    this.weight = new int[rows][cols];
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  /** Cycles stepped so far, over every fold. */
  public long cycles() {
    return cycles;
  }

  public long folds() {
    return folds;
  }

  /** Cycles the last fold took, weight load and stream. */
  public long lastFoldCycles() {
    return lastFold;
  }

  @Override
  public void fold(byte[][] a, byte[][] w, int c0, int k0, int[][] acc) {
    int t = a.length;
    int cUsed = Math.min(rows, w.length - c0);
    int kUsed = Math.min(cols, w[0].length - k0);
    long stepped = 0;
    // Weight load: each cycle the weight registers of the top cUsed rows shift down one row and
    // row 0 takes the next block row, fed bottom row first.
    for (int fed = 0; fed < cUsed; fed++) {
      for (int r = cUsed - 1; r > 0; r--) {
        System.arraycopy(weight[r - 1], 0, weight[r], 0, cols);
      }
      int row = cUsed - 1 - fed;
      for (int c = 0; c < cols; c++) {
        weight[0][c] = c < kUsed ? w[c0 + row][k0 + c] : 0;
      }
      stepped++;
    }
    // Streaming: the registers of the inputs (with their vector tags) moving right and of the
    // sums moving down.
    int[][] in = new int[rows][cols];
    int[][] tag = new int[rows][cols];
    int[][] sum = new int[rows][cols];
    int[][] nextIn = new int[rows][cols];
    int[][] nextTag = new int[rows][cols];
    int[][] nextSum = new int[rows][cols];
    for (int[] row : tag) {
      java.util.Arrays.fill(row, -1);
    }
    long want = (long) t * kUsed;
    long drained = 0;
    for (long cycle = 0; drained < want; cycle++) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          if (c == 0) {
            long v = cycle - r;
            boolean enters = v >= 0 && v < t;
            nextTag[r][0] = enters ? (int) v : -1;
            nextIn[r][0] = enters && r < cUsed ? a[(int) v][c0 + r] : 0;
          } else {
            nextTag[r][c] = tag[r][c - 1];
            nextIn[r][c] = in[r][c - 1];
          }
          int above = r == 0 ? 0 : sum[r - 1][c];
          // int8 x int8 products and their sum over at most 2^16 rows fit in int32.
          nextSum[r][c] = nextTag[r][c] >= 0 ? above + nextIn[r][c] * weight[r][c] : 0;
        }
      }
      int[][] swap = in;
      in = nextIn;
      nextIn = swap;
      swap = tag;
      tag = nextTag;
      nextTag = swap;
      swap = sum;
      sum = nextSum;
      nextSum = swap;
      stepped++;
      // The bottom row: a valid sum of a used column leaves for the vector ALUs.
      for (int c = 0; c < kUsed; c++) {
        int v = tag[rows - 1][c];
        if (v >= 0) {
          acc[v][k0 + c] += sum[rows - 1][c];
          drained++;
        }
      }
    }
    cycles += stepped;
    lastFold = stepped;
    folds++;
  }

  /** The whole GEMM {@code a · w} (T x C times C x K), fold after fold, into a new accumulator. */
  public int[][] gemm(byte[][] a, byte[][] w) {
    int[][] acc = new int[a.length][w[0].length];
    for (int c0 = 0; c0 < w.length; c0 += rows) {
      for (int k0 = 0; k0 < w[0].length; k0 += cols) {
        fold(a, w, c0, k0, acc);
      }
    }
    return acc;
  }
}
