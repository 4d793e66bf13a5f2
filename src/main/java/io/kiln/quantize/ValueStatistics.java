package io.kiln.quantize;

/**
 * What calibration saw of one float activation: its extremes and, for the percentile and MSE
 * observers, a histogram over those extremes, from which a clipping range is chosen.
 */
final class ValueStatistics {
  /** Fine enough that a bin is well under one int8 step of any range chosen from it. */
  static final int BINS = 2048;
  /** Candidate clipping ranges the MSE observer tries, as fractions of the observed range. */
  private static final int MSE_CANDIDATES = 200;

  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private long[] histogram;
  private long count;

  /** First pass: the extremes. */
  void observeRange(float[] x) {
    for (float v : x) {
      if (Float.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
  }

  /** Second pass (after every {@link #observeRange}): the distribution over the extremes. */
  void observeHistogram(float[] x) {
    if (histogram == null) {
      histogram = new long[BINS];
    }
    double width = (max - min) / BINS;
    for (float v : x) {
      if (!Float.isFinite(v)) {
        continue;
      }
      int b = width > 0 ? (int) ((v - min) / width) : 0;
      histogram[Math.min(Math.max(b, 0), BINS - 1)]++;
      count++;
    }
  }

  boolean seen() {
    return min <= max;
  }

  double min() {
    return min;
  }

  double max() {
    return max;
  }

  /** The clipping range {@code observer} chooses; min/max when no histogram was taken. */
  Range range(QuantizeOptions.Observer observer, double percentile) {
    if (!seen()) {
      return new Range(0, 0);
    }
    if (histogram == null || count == 0 || max == min) {
      return new Range(min, max);
    }
    return switch (observer) {
      case MINMAX -> new Range(min, max);
      case PERCENTILE -> percentileRange(percentile);
      case MSE -> mseRange();
    };
  }

  private double binLow(int b) {
    return min + (max - min) * b / BINS;
  }

  /**
   * Drops {@code 100 - percentile} percent of the values from each tail; the range edges are bin
   * edges, so the result never cuts inside a bin that holds a kept value.
   */
  private Range percentileRange(double percentile) {
    double tail = count * (100 - percentile) / 100;
    long below = 0;
    int lo = 0;
    while (lo < BINS - 1 && below + histogram[lo] <= tail) {
      below += histogram[lo++];
    }
    long above = 0;
    int hi = BINS - 1;
    while (hi > lo && above + histogram[hi] <= tail) {
      above += histogram[hi--];
    }
    return new Range(binLow(lo), binLow(hi + 1));
  }

  /**
   * Shrinks the observed range (always keeping zero inside, as the quantized range will) towards
   * zero and keeps the shrink whose expected squared error is least: values inside the range
   * cost the uniform rounding noise step²/12, clipped values their distance to the edge.
   */
  private Range mseRange() {
    double lo0 = Math.min(min, 0);
    double hi0 = Math.max(max, 0);
    double width = (max - min) / BINS;
    Range best = new Range(min, max);
    double bestError = Double.POSITIVE_INFINITY;
    for (int k = MSE_CANDIDATES; k >= 1; k--) {
      double f = (double) k / MSE_CANDIDATES;
      double lo = lo0 * f;
      double hi = hi0 * f;
      double step = (hi - lo) / 255;
      double inside = step * step / 12;
      double error = 0;
      for (int b = 0; b < BINS; b++) {
        if (histogram[b] == 0) {
          continue;
        }
        double x = min + (b + 0.5) * width;
        double d = x < lo ? lo - x : x > hi ? x - hi : 0;
        error += histogram[b] * (d > 0 ? d * d : inside);
      }
      if (error < bestError) {
        bestError = error;
        best = new Range(lo, hi);
      }
    }
    return best;
  }

  /** A real clipping interval. */
  record Range(double lo, double hi) {}
}
