package io.kiln.quantize;

import java.util.Locale;

/**
 * How closely a quantized model's outputs follow the float model's over many samples: the top-1
 * match rate for classifiers, and the largest and mean absolute error of the real outputs.
 */
public final class OutputAgreement {
  private final boolean classifier;
  private int samples;
  private int top1Matches;
  private double maxAbs;
  private double sumAbs;
  private long count;

  public OutputAgreement(boolean classifier) {
    this.classifier = classifier;
  }

  /** Adds one sample's real outputs: the float model's and the quantized model's. */
  public void add(float[] reference, float[] candidate) {
    if (reference.length != candidate.length) {
      throw new IllegalArgumentException("outputs differ in length: " + reference.length + " vs "
          + candidate.length);
    }
    samples++;
    if (argmax(reference) == argmax(candidate)) {
      top1Matches++;
    }
    for (int i = 0; i < reference.length; i++) {
      double d = Math.abs((double) reference[i] - candidate[i]);
      maxAbs = Math.max(maxAbs, d);
      sumAbs += d;
      count++;
    }
  }

  /** The first index of the largest value (ties go to the lower class, as in TFLite's argmax). */
  static int argmax(float[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      if (x[i] > x[best]) {
        best = i;
      }
    }
    return best;
  }

  public boolean classifier() {
    return classifier;
  }

  public int samples() {
    return samples;
  }

  public int top1Matches() {
    return top1Matches;
  }

  public double top1Rate() {
    return samples == 0 ? Double.NaN : (double) top1Matches / samples;
  }

  public double maxAbsError() {
    return maxAbs;
  }

  public double meanAbsError() {
    return count == 0 ? Double.NaN : sumAbs / count;
  }

  /** One line: top-1 agreement for classifiers, then the absolute errors. */
  public String summary() {
    String err = String.format(Locale.ROOT, "max |error| %.6g, mean |error| %.6g", maxAbs,
        meanAbsError());
    return classifier
        ? String.format(Locale.ROOT, "top-1 agreement %d/%d (%.1f%%); %s", top1Matches, samples,
            100 * top1Rate(), err)
        : err + " over " + samples + " samples";
  }
}
