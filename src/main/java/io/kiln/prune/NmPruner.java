package io.kiln.prune;

import io.kiln.ir.Encoding;

/**
 * Magnitude N:M pruning of one weight tensor, channel-major ({@code rows} output channels of
 * equal reduction length): in every group of M consecutive weights of a channel the N largest in
 * magnitude stay and the rest become zero. Ties keep the earlier weight, so the result is
 * deterministic. A channel's largest weight always survives (it is the largest of its group),
 * which is why pruning int8 weights never needs new weight scales.
 */
public final class NmPruner {
  private NmPruner() {}

  /** {@code w} pruned to {@code f}; int8 or any integer values. */
  public static int[] prune(int[] w, int rows, Encoding.NM f) {
    float[] magnitude = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      magnitude[i] = Math.abs(w[i]);
    }
    boolean[] keep = keep(magnitude, rows, f);
    int[] out = new int[w.length];
    for (int i = 0; i < w.length; i++) {
      out[i] = keep[i] ? w[i] : 0;
    }
    return out;
  }

  /** {@code w} pruned to {@code f}; float weights. */
  public static float[] prune(float[] w, int rows, Encoding.NM f) {
    float[] magnitude = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      magnitude[i] = Math.abs(w[i]);
    }
    boolean[] keep = keep(magnitude, rows, f);
    float[] out = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      out[i] = keep[i] ? w[i] : 0f;
    }
    return out;
  }

  private static boolean[] keep(float[] magnitude, int rows, Encoding.NM f) {
    if (rows <= 0 || magnitude.length % rows != 0) {
      throw new IllegalArgumentException(magnitude.length + " weights are not " + rows
          + " channels");
    }
    int length = magnitude.length / rows;
    boolean[] keep = new boolean[magnitude.length];
    for (int r = 0; r < rows; r++) {
      for (int start = 0; start < length; start += f.m()) {
        int end = Math.min(start + f.m(), length);
        // N passes of "largest not yet kept": N is 1 or 2, so this is cheaper than sorting.
        for (int k = 0; k < f.n(); k++) {
          int best = -1;
          for (int i = r * length + start; i < r * length + end; i++) {
            if (!keep[i] && magnitude[i] > 0 && (best < 0 || magnitude[i] > magnitude[best])) {
              best = i;
            }
          }
          if (best >= 0) {
            keep[best] = true;
          }
        }
      }
    }
    return keep;
  }
}
