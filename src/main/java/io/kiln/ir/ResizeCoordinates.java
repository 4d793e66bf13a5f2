package io.kiln.ir;

import io.kiln.KilnException;

/**
 * The source coordinates of TFLM's resize kernels along one axis, computed once per layer: the
 * interpreter and the code generator (which writes them as tables) both read these, so the two
 * cannot disagree. The arithmetic is TFLM's, float for nearest neighbour and float bilinear and
 * 10-bit fixed point for integer bilinear; Java's float operations are IEEE single like C++'s.
 */
public final class ResizeCoordinates {
  private ResizeCoordinates() {}

  /** Float bilinear: per output index the scaled source position and its two neighbours. */
  public record Float(float[] scaled, int[] lower, int[] upper) {}

  /** Integer bilinear: the source position in 1/1024ths and its two neighbours. */
  public record Fixed(int[] scaled, int[] lower, int[] upper) {}

  /** reference_ops::GetNearestNeighbor for every output index. */
  public static int[] nearest(int inSize, int outSize, Op.Resize op) {
    float scale = op.alignCorners() && outSize > 1 ? (inSize - 1) / (float) (outSize - 1)
        : inSize / (float) outSize;
    float offset = op.halfPixelCenters() ? 0.5f : 0.0f;
    int[] src = new int[outSize];
    for (int o = 0; o < outSize; o++) {
      float p = (o + offset) * scale;
      int v = op.alignCorners() ? (int) roundHalfAway(p) : (int) floor(p);
      v = Math.min(v, inSize - 1);
      if (op.halfPixelCenters()) {
        v = Math.max(0, v);
      }
      src[o] = v;
    }
    return src;
  }

  /** reference_ops::ComputeInterpolationValues with ResizeBilinear's scale. */
  public static Float bilinearFloat(int inSize, int outSize, Op.Resize op) {
    float scale = op.alignCorners() && outSize > 1 ? (float) (inSize - 1) / (outSize - 1)
        : (float) inSize / outSize;
    float[] scaled = new float[outSize];
    int[] lower = new int[outSize];
    int[] upper = new int[outSize];
    for (int o = 0; o < outSize; o++) {
      float v = op.halfPixelCenters() ? (o + 0.5f) * scale - 0.5f : o * scale;
      scaled[o] = v;
      lower[o] = Math.max((int) floor(v), 0);
      upper[o] = Math.min((int) (float) Math.ceil(v), inSize - 1);
      inside(lower[o], inSize, op);
    }
    return new Float(scaled, lower, upper);
  }

  /** reference_ops::ComputeInterpolationValuesInteger with ResizeBilinearInteger's scale. */
  public static Fixed bilinearFixed(int inSize, int outSize, Op.Resize op) {
    int scale10 = ((1 << 10) * inSize + outSize / 2) / outSize;
    if (op.alignCorners() && outSize > 1) {
      scale10 = ((1 << 10) * (inSize - 1) + (outSize - 1) / 2) / (outSize - 1);
    }
    int[] scaled = new int[outSize];
    int[] lower = new int[outSize];
    int[] upper = new int[outSize];
    for (int o = 0; o < outSize; o++) {
      int v = op.halfPixelCenters() ? o * scale10 + scale10 / 2 - (1 << 9) : o * scale10;
      scaled[o] = v;
      // Integer division truncates toward zero in Java as in C++.
      lower[o] = Math.max(v / (1 << 10), 0);
      upper[o] = Math.min((v + (1 << 10) - 1) / (1 << 10), inSize - 1);
      inside(lower[o], inSize, op);
    }
    return new Fixed(scaled, lower, upper);
  }

  /** TfLiteRound: nearest, ties away from zero (exact in double for every float). */
  private static float roundHalfAway(float v) {
    double r = Math.floor(Math.abs((double) v) + 0.5);
    return (float) (v < 0 ? -r : r);
  }

  private static float floor(float v) {
    return (float) Math.floor(v);
  }

  /** TFLM would read outside the input here (only for extreme size ratios); Kiln refuses. */
  private static void inside(int lower, int inSize, Op.Resize op) {
    if (lower >= inSize) {
      throw new KilnException(op.opName() + ": resizing " + inSize + " to the output size reads"
          + " source row or column " + lower + ", outside the input");
    }
  }
}
