package io.kiln.plan.dispatch;

import java.util.Optional;

/**
 * The requantization ratios of a layer (what its output stage multiplies accumulators by) and
 * whether a shift can implement them: ratio = input scale × weight scale / output scale per
 * output channel, computed in double from the float32 scales the model stores.
 */
final class Requant {
  /** Relative tolerance: float32 scales that are exact powers of two give exact ratios. */
  private static final double TOLERANCE = 1e-6;

  private Requant() {}

  /** A description of the first ratio that is not a power of two, if any. */
  static Optional<String> firstNonPowerOfTwo(Layer l) {
    double in = Layer.scale(l.input());
    double out = Layer.scale(l.output());
    if (Double.isNaN(in) || Double.isNaN(out)) {
      return Optional.of("(input or output not quantized per tensor)");
    }
    if (l.weights().isPresent()) {
      for (int c = 0; c < l.outputChannels(); c++) {
        double r = in * l.weightScale(c) / out;
        if (!powerOfTwo(r)) {
          return Optional.of(String.format("in·w/out = %.6g (channel %d)", r, c));
        }
      }
      return Optional.empty();
    }
    double r = in / out;
    if (l.rhs().isPresent()) {
      double rhs = Layer.scale(l.rhs().get());
      if (l.kind() == io.kiln.target.OpPattern.Op.MUL) {
        r = in * rhs / out;
      } else if (!powerOfTwo(rhs / out)) {
        return Optional.of(String.format("rhs/out = %.6g", rhs / out));
      }
    }
    return powerOfTwo(r) ? Optional.empty() : Optional.of(String.format("in/out = %.6g", r));
  }

  static boolean powerOfTwo(double r) {
    if (!(r > 0) || Double.isInfinite(r)) {
      return false;
    }
    double nearest = Math.scalb(1.0, Math.getExponent(r));
    double up = nearest * 2;
    return Math.abs(r - nearest) <= TOLERANCE * r || Math.abs(r - up) <= TOLERANCE * r;
  }

  /** The power of two nearest {@code r} in log scale. */
  static double nearestPowerOfTwo(double r) {
    return Math.scalb(1.0, (int) Math.round(Math.log(r) / Math.log(2)));
  }
}
