package io.kiln.sim.systolic;

/**
 * A weight-stationary systolic array stepped cycle by cycle, functional and timed at once: for
 * one fold, the weights of an at most rows x cols block are shifted in from the top (one row a
 * cycle), then input vectors enter the left edge with row r delayed by r cycles (the skew the
 * SRAM arrays' addresses provide), move one PE right per cycle, and each PE adds its product to
 * the partial sum arriving from above; sums leave the bottom of column c for vector t at cycle
 * {@code t + R - 1 + c} of the stream, where the vector ALUs add them to the int32 accumulators.
 * It is the reference the {@link SystolicEngine}'s closed-form fold timing is tested against.
 */
public final class SystolicArray {
  private final int rows;
  private final int cols;
  private long cycles;
  private long folds;

  public SystolicArray(int rows, int cols) {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("array needs rows and cols >= 1");
    }
    this.rows = rows;
    this.cols = cols;
  }

  /** Cycles stepped so far, over every fold. */
  public long cycles() {
    return cycles;
  }

  public long folds() {
    return folds;
  }

  /**
   * {@code acc[t][k] += Σ_c a[t][c0 + c] · w[c0 + c][k0 + k]} for one fold: the block of
   * reduction rows {@code [c0, c0 + rows)} and output columns {@code [k0, k0 + cols)} (clipped to
   * the matrices). {@code a} is T x C int8, {@code w} C x K int8, {@code acc} T x K int32.
   */
  public void fold(byte[][] a, byte[][] w, int c0, int k0, int[][] acc) {
    int t = a.length;
    int cUsed = Math.min(rows, w.length - c0);
    int kUsed = Math.min(cols, w[0].length - k0);
    // Weight load: row r of the block reaches PE row r after the R shifts.
    int[][] weight = new int[rows][cols];
    for (int r = 0; r < cUsed; r++) {
      for (int c = 0; c < kUsed; c++) {
        weight[r][c] = w[c0 + r][k0 + c];
      }
    }
    cycles += rows;
    // Streaming: registers of the inputs moving right and the sums moving down.
    int[][] in = new int[rows][cols];
    boolean[][] valid = new boolean[rows][cols];
    int[][] sum = new int[rows][cols];
    int[][] nextIn = new int[rows][cols];
    boolean[][] nextValid = new boolean[rows][cols];
    int[][] nextSum = new int[rows][cols];
    long streamCycles = (long) t + rows + cols - 2;
    for (long cycle = 0; cycle < streamCycles; cycle++) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          if (c == 0) {
            long v = cycle - r;
            nextValid[r][0] = v >= 0 && v < t;
            nextIn[r][0] = nextValid[r][0] && r < cUsed ? a[(int) v][c0 + r] : 0;
          } else {
            nextValid[r][c] = valid[r][c - 1];
            nextIn[r][c] = in[r][c - 1];
          }
          int above = r == 0 ? 0 : sum[r - 1][c];
          // int8 x int8 products and their sum over at most 2^16 rows fit in int32.
          nextSum[r][c] = nextValid[r][c] ? above + nextIn[r][c] * weight[r][c] : 0;
        }
      }
      int[][] swapI = in;
      in = nextIn;
      nextIn = swapI;
      boolean[][] swapV = valid;
      valid = nextValid;
      nextValid = swapV;
      int[][] swapS = sum;
      sum = nextSum;
      nextSum = swapS;
      // The bottom row's sums leave: vector t of column c exits at cycle t + R - 1 + c.
      for (int c = 0; c < kUsed; c++) {
        long v = cycle - (rows - 1) - c;
        if (v >= 0 && v < t) {
          acc[(int) v][k0 + c] += sum[rows - 1][c];
        }
      }
    }
    cycles += streamCycles;
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
