package io.kiln.sim;

/**
 * The operands of one convolution-like job (conv, depthwise, fully connected) as a unit's array
 * reads them, decoded once from the job's buffers by {@link UnitFunctions}: the input tile as the
 * int8 values the array takes (narrowed), the weights as int8 {@code (k, fy, fx, c)} with {@code c}
 * innermost, and the window geometry. How the multiply-accumulates are carried out is a
 * {@link Sums}: {@link #DIRECT} is the plain reference loop; a unit with a data flow of its own
 * (the systolic array) brings another, and its sums go through the same output stage.
 *
 * @param input the input tile, {@code rows x cols x inC} in the tile's layout ({@code chw} or HWC)
 * @param offset subtracted from every input element before the product (the input zero point for
 *     TFLite's stage, 0 for shift stages, which carry it in the bias)
 * @param pad the value a tap outside the tile reads (the zero point, narrowed like an input)
 * @param weights {@code k x fy x fx x wc} with {@code wc = depthwise ? 1 : c}
 * @param weightOffset subtracted from every weight before the product: a matmul's right operand
 *     is an activation with a zero point (0 for conv and fully-connected weights, which are
 *     symmetric)
 */
public record ConvTile(boolean depthwise, boolean chw, int rows, int cols, int inC, byte[] input,
    int offset, int pad, int k, int c, int fy, int fx, int sy, int sx, int dy, int dx, int y0, int x0,
    int oy, int ox, byte[] weights, int weightOffset) {

  /** A tile of symmetric weights (conv, depthwise, fully connected). */
  public ConvTile(boolean depthwise, boolean chw, int rows, int cols, int inC, byte[] input,
      int offset, int pad, int k, int c, int fy, int fx, int sy, int sx, int dy, int dx, int y0, int x0,
      int oy, int ox, byte[] weights) {
    this(depthwise, chw, rows, cols, inC, input, offset, pad, k, c, fy, fx, sy, sx, dy, dx, y0, x0, oy, ox,
        weights, 0);
  }

  /**
   * {@code Σ (x - offset)} over the taps and channels each output position reads (padding reads
   * {@code pad}), by position: what a weight offset multiplies, {@code Σ (x - o)(w - wo) =
   * Σ (x - o) w - wo Σ (x - o)}. Not for depthwise tiles.
   */
  public long[] inputSums() {
    long[] out = new long[positions()];
    for (int ay = 0; ay < oy; ay++) {
      for (int ax = 0; ax < ox; ax++) {
        long sum = 0;
        for (int ty = 0; ty < fy; ty++) {
          for (int tx = 0; tx < fx; tx++) {
            int iy = inputRow(ay, ty);
            int ix = inputCol(ax, tx);
            boolean inside = iy >= 0 && iy < rows && ix >= 0 && ix < cols;
            for (int ch = 0; ch < c; ch++) {
              sum += (inside ? input[inputIndex(iy, ix, ch)] : pad) - offset;
            }
          }
        }
        out[ay * ox + ax] = sum;
      }
    }
    return out;
  }

  /**
   * How a unit computes a conv job's sums: {@code Σ (x - offset) · w} over the taps and channels
   * of every output, indexed as the output tile is stored ({@link #outputIndex}), without the
   * bias or the partial sums of earlier channel tiles (the output stage adds those).
   */
  @FunctionalInterface
  public interface Sums {
    long[] of(ConvTile t);
  }

  /** The reference: a direct loop over outputs, taps and channels. */
  public static final Sums DIRECT = ConvTile::direct;

  /** Input channels each weight row has: 1 for depthwise, {@code c} otherwise. */
  public int weightChannels() {
    return depthwise ? 1 : c;
  }

  /** Output positions of the tile. */
  public int positions() {
    return oy * ox;
  }

  /** Where input element (iy, ix, ch) of the tile is stored. */
  public int inputIndex(int iy, int ix, int ch) {
    return chw ? (ch * rows + iy) * cols + ix : (iy * cols + ix) * inC + ch;
  }

  /** Where output (position {@code t = ay * ox + ax}, channel {@code kk}) of the tile is stored. */
  public int outputIndex(int t, int kk) {
    return chw ? kk * oy * ox + t : t * k + kk;
  }

  /** The weight of output channel {@code kk}, tap (ty, tx), channel {@code ch}. */
  public int weight(int kk, int ty, int tx, int ch) {
    return weights[((kk * fy + ty) * fx + tx) * weightChannels() + ch];
  }

  /** Input row (column) of tap {@code ty} of output row {@code ay}: may be outside the tile (padding). */
  public int inputRow(int ay, int ty) {
    return ay * sy + ty * dy + y0;
  }

  public int inputCol(int ax, int tx) {
    return ax * sx + tx * dx + x0;
  }

  private static long[] direct(ConvTile t) {
    int kt = t.k;
    int ct = t.c;
    int wc = t.weightChannels();
    int[] x = new int[t.input.length];
    for (int e = 0; e < x.length; e++) {
      x[e] = t.input[e] - t.offset;
    }
    int pad = t.pad - t.offset;
    int[] wt = new int[t.weights.length];
    for (int e = 0; e < wt.length; e++) {
      wt[e] = t.weights[e] - t.weightOffset;
    }
    int step = t.chw ? t.rows * t.cols : 1;
    long[] sums = new long[t.positions() * kt];
    for (int ay = 0; ay < t.oy; ay++) {
      for (int ax = 0; ax < t.ox; ax++) {
        for (int k = 0; k < kt; k++) {
          long acc = 0;
          for (int ty = 0; ty < t.fy; ty++) {
            int iy = t.inputRow(ay, ty);
            boolean rowIn = iy >= 0 && iy < t.rows;
            for (int tx = 0; tx < t.fx; tx++) {
              int ix = t.inputCol(ax, tx);
              boolean inTile = rowIn && ix >= 0 && ix < t.cols;
              if (!inTile && pad == 0) {
                continue;
              }
              int at = ((k * t.fy + ty) * t.fx + tx) * wc;
              if (t.depthwise) {
                acc += (long) (inTile ? x[t.inputIndex(iy, ix, k)] : pad) * wt[at];
              } else if (!inTile) {
                for (int c = 0; c < ct; c++) {
                  acc += (long) pad * wt[at + c];
                }
              } else {
                int base = t.inputIndex(iy, ix, 0);
                if (ct <= 1 << 14) {
                  // Exact in int32: at most 2^14 products of |x| <= 2^8 and |w| <= 2^8 per tap.
                  int sum = 0;
                  for (int c = 0; c < ct; c++) {
                    sum += x[base + c * step] * wt[at + c];
                  }
                  acc += sum;
                } else {
                  for (int c = 0; c < ct; c++) {
                    acc += (long) x[base + c * step] * wt[at + c];
                  }
                }
              }
            }
          }
          sums[t.outputIndex(ay * t.ox + ax, k)] = acc;
        }
      }
    }
    return sums;
  }
}
