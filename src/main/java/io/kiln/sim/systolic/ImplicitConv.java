package io.kiln.sim.systolic;

/**
 * The implicit channel-first im2col of a convolution: the FY x FX filter is decomposed into
 * FY·FX 1x1 filters ⟨fy, fx⟩, and each is a GEMM of the strided output positions it touches
 * (the A matrix comes from address generation over the HWC input, never materialized in this
 * order in memory) times that tap's C x K weights, accumulated into the same int32 sums. Padded
 * taps read the input zero point, as the lowered graph's unit pads with it.
 */
public final class ImplicitConv {
  private ImplicitConv() {}

  /**
   * The int32 sums {@code [oy·ox][K]} of an HWC int8 input {@code [iy][ix][c]} and filter
   * {@code [K][fy][fx][C]} at {@code stride} with {@code pad} before each axis, on {@code array}.
   */
  public static int[][] run(SystolicArray array, byte[] input, int iy, int ix, int c, byte[] filter,
      int k, int fy, int fx, int stride, int pad, int oy, int ox, byte zeroPoint) {
    int t = oy * ox;
    int[][] acc = new int[t][k];
    for (int y = 0; y < fy; y++) {
      for (int x = 0; x < fx; x++) {
        // The strided positions decomposed filter <y, x> touches: address generation only.
        byte[][] a = new byte[t][c];
        for (int o = 0; o < t; o++) {
          int sy = (o / ox) * stride + y - pad;
          int sx = (o % ox) * stride + x - pad;
          boolean inside = sy >= 0 && sy < iy && sx >= 0 && sx < ix;
          for (int ch = 0; ch < c; ch++) {
            a[o][ch] = inside ? input[(sy * ix + sx) * c + ch] : zeroPoint;
          }
        }
        byte[][] w = new byte[c][k];
        for (int ch = 0; ch < c; ch++) {
          for (int kk = 0; kk < k; kk++) {
            w[ch][kk] = filter[((kk * fy + y) * fx + x) * c + ch];
          }
        }
        int[][] part = array.gemm(a, w);
        for (int o = 0; o < t; o++) {
          for (int kk = 0; kk < k; kk++) {
            acc[o][kk] += part[o][kk];
          }
        }
      }
    }
    return acc;
  }
}
