package io.kiln.plan.dispatch;

import io.kiln.target.OpPattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The rescalings each stage of a layer needs from an output stage, as TFLite's int8 kernels
 * define them, and whether a shift can implement them. A ratio is computed in double from the
 * float32 scales the model stores:
 *
 * <ul>
 *   <li>conv, depthwise, fully connected: input scale × weight scale / output scale per output
 *       channel;
 *   <li>Add (and a fused residual Add): each operand's scale / output scale (TFLite brings both
 *       operands to a common scale before adding, then rescales the sum);
 *   <li>Mul: lhs scale × rhs scale / output scale;
 *   <li>average pooling: 1 / the number of elements in a window (the divisor of the average; a
 *       window that padding clips has fewer);
 *   <li>ReLU, ReLU6: input scale / output scale, unless equal (then there is nothing to rescale);
 *   <li>max pooling, and sigmoid and tanh (a lookup table over the 256 int8 inputs absorbs both
 *       scales): none.
 * </ul>
 */
final class Requant {
  /** Relative tolerance: float32 scales that are exact powers of two give exact ratios. */
  private static final double TOLERANCE = 1e-6;

  private Requant() {}

  /** One rescaling: what it is ({@code in·w/out}), its value, and where ({@code channel 3}). */
  record Ratio(String what, double value, String where) {
    Ratio(String what, double value) {
      this(what, value, "");
    }

    boolean powerOfTwo() {
      return Requant.powerOfTwo(value);
    }

    /** What would make it a shift: power-of-two scales, or (for an average) a window size. */
    String remedy() {
      return what.startsWith("1/") ? "an average over a power-of-two number of elements would be one"
          : "quantize with 'kiln quantize --scales pow2'";
    }

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%s = %.6g", what, value)
          + (where.isEmpty() ? "" : " (" + where + ")");
    }
  }

  /**
   * The rescalings of the main operator; empty when it needs none. An unquantized input or
   * output gives a NaN ratio, which no shift implements.
   */
  static List<Ratio> of(Layer l) {
    double in = Layer.scale(l.input());
    double out = Layer.scale(l.output());
    List<Ratio> r = new ArrayList<>();
    if (l.weights().isPresent()) {
      for (int c = 0; c < l.outputChannels(); c++) {
        r.add(new Ratio("in·w/out", in * l.weightScale(c) / out, "channel " + c));
      }
      return r;
    }
    switch (l.kind()) {
      case ADD, SUB -> {
        r.add(new Ratio("in/out", in / out));
        r.add(new Ratio("rhs/out", Layer.scale(l.rhs().orElseThrow()) / out));
      }
      case MUL -> r.add(new Ratio("in·rhs/out", in * Layer.scale(l.rhs().orElseThrow()) / out));
      case AVG_POOL -> r.addAll(averages(l.window().orElseThrow(), l.input().shape().dims()));
      case ACTIVATION -> {
        boolean table = l.function().map(f -> f == OpPattern.ActivationFn.SIGMOID
            || f == OpPattern.ActivationFn.TANH).orElse(false);
        if (!table && !same(in, out)) {
          r.add(new Ratio("in/out", in / out));
        }
      }
      case MATMUL -> r.add(new Ratio("in·rhs/out", in * Layer.scale(l.rhs().orElseThrow()) / out));
      case MAX_POOL, CONV2D, DEPTHWISE_CONV2D, FULLY_CONNECTED -> { }
    }
    return r;
  }

  /** The rescalings of one fused stage. */
  static List<Ratio> of(Layer.Fused f) {
    double out = Layer.scale(f.output());
    return switch (f.stage()) {
      case RESIDUAL_ADD -> List.of(
          new Ratio("conv/out", Layer.scale(f.input()) / out,
              "residual add %" + f.node().output()),
          new Ratio("skip/out", Layer.scale(f.skip().orElseThrow()) / out,
              "residual add %" + f.node().output()));
      case AVG_POOL -> averages(f.window().orElseThrow(), f.input().shape().dims());
      case MAX_POOL, BIAS, BATCH_NORM -> List.of();
    };
  }

  /** The first ratio that is not a power of two, if any. */
  static Optional<Ratio> firstNonPowerOfTwo(List<Ratio> ratios) {
    return ratios.stream().filter(r -> !r.powerOfTwo()).findFirst();
  }

  /**
   * 1 / count for every distinct count of input elements an average-pooling window sums (TFLite
   * divides by the elements inside the image, so padded border windows have smaller counts).
   */
  private static List<Ratio> averages(Layer.Window w, int[] inDims) {
    if (inDims.length != 4) {
      return List.of(new Ratio("1/window", Double.NaN));
    }
    java.util.TreeSet<Integer> counts = new java.util.TreeSet<>();
    int[] rows = counts(inDims[1], w.fy(), w.strideH(), w.pads().top(), w.pads().bottom());
    int[] cols = counts(inDims[2], w.fx(), w.strideW(), w.pads().left(), w.pads().right());
    for (int a : rows) {
      for (int b : cols) {
        counts.add(a * b);
      }
    }
    List<Ratio> r = new ArrayList<>();
    for (int c : counts.descendingSet()) {
      r.add(new Ratio("1/" + c, 1.0 / c, "average of " + c + " elements"));
    }
    return r;
  }

  /** How many input rows each output row's window covers inside the input. */
  private static int[] counts(int size, int f, int stride, int padBefore, int padAfter) {
    int outs = (size + padBefore + padAfter - f) / stride + 1;
    int[] c = new int[Math.max(0, outs)];
    for (int o = 0; o < c.length; o++) {
      int start = o * stride - padBefore;
      c[o] = Math.min(size, start + f) - Math.max(0, start);
    }
    return c;
  }

  private static boolean same(double a, double b) {
    return Math.abs(a - b) <= TOLERANCE * Math.abs(b);
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
