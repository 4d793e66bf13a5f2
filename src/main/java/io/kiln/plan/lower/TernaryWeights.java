package io.kiln.plan.lower;

/**
 * The conversion of one layer's int8 weights to ternary {-1, 0, +1} per output channel, for
 * analog in-memory compute; it changes the network's numbers, which is why it only happens on
 * request ({@code --ternarize}).
 *
 * <p>Per channel: threshold 0.7 · mean |q| (the ternary-weight-network choice the quantizer also
 * makes), then the channel scale that minimizes the error (mean |w| of the kept weights), moved to
 * the nearest value that makes input scale × weight scale / output scale a power of two, so that
 * a shift-only output stage requantizes it exactly. Weights of a channel are contiguous (conv
 * OHWI, fully connected [out, in]).
 *
 * @param values the ternary values, in the weights' order
 * @param scales the new weight scale of every output channel
 */
public record TernaryWeights(int[] values, float[] scales) {
  private static final double THRESHOLD = 0.7;

  /**
   * Converts {@code q} ({@code channels} contiguous channels with scales {@code weightScales})
   * for a layer whose input and output scales are {@code inputScale} and {@code outputScale}.
   */
  public static TernaryWeights of(int[] q, int channels, double[] weightScales,
      double inputScale, double outputScale) {
    int inner = q.length / channels;
    int[] t = new int[q.length];
    float[] scales = new float[channels];
    for (int c = 0; c < channels; c++) {
      double sumAbs = 0;
      for (int i = c * inner; i < (c + 1) * inner; i++) {
        sumAbs += Math.abs(q[i]);
      }
      double threshold = THRESHOLD * sumAbs / inner;
      double keptAbs = 0;
      int kept = 0;
      for (int i = c * inner; i < (c + 1) * inner; i++) {
        if (Math.abs(q[i]) > threshold) {
          t[i] = q[i] > 0 ? 1 : -1;
          keptAbs += Math.abs(q[i]);
          kept++;
        }
      }
      double alpha = (kept > 0 ? keptAbs / kept : 1.0) * weightScales[c];
      double ratio = nearestPowerOfTwo(inputScale * alpha / outputScale);
      scales[c] = (float) (ratio * outputScale / inputScale);
    }
    return new TernaryWeights(t, scales);
  }

  /** The power of two nearest {@code r} in log scale. */
  static double nearestPowerOfTwo(double r) {
    return Math.scalb(1.0, (int) Math.round(Math.log(r) / Math.log(2)));
  }
}
