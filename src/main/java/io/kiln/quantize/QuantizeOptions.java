package io.kiln.quantize;

import java.util.Objects;

/**
 * The choices of post-training quantization: weight granularity and format, how activation
 * ranges are chosen from calibration statistics, scale constraints of the target, and whether
 * the quantized graph keeps float inputs and outputs.
 */
public record QuantizeOptions(boolean perChannel, Observer observer, double percentile,
    ScaleMode scales, WeightFormat weights, IoType io) {

  /** How an activation's clipping range is chosen from what calibration saw. */
  public enum Observer {
    /** The observed minimum and maximum. */
    MINMAX,
    /** Clip both tails at a percentile of the observed distribution (outliers cost range). */
    PERCENTILE,
    /** The clipping range that minimizes the expected squared quantization error. */
    MSE
  }

  /** Constraints on every scale of the result. */
  public enum ScaleMode {
    /** Any float32 scale; requantization needs a multiplier and a shift. */
    ANY,
    /** Every scale a power of two, so every requantization is a plain shift. */
    POW2
  }

  /** The weight format of convolutions and fully-connected layers. */
  public enum WeightFormat {
    /** Symmetric int8 in [-127, 127]. */
    INT8,
    /** {-1, 0, +1} times one scale per output channel (analog in-memory compute). */
    TERNARY
  }

  /** The element type of the graph's inputs and outputs. */
  public enum IoType {
    /** int8 inputs and outputs, like the MLPerf Tiny int8 models. */
    INT8,
    /** float inputs and outputs with Quantize/Dequantize at the boundary. */
    FLOAT
  }

  /** The percentile observer's default: keep 99.99% of the observed values inside the range. */
  public static final double DEFAULT_PERCENTILE = 99.99;

  public static final QuantizeOptions DEFAULTS = new QuantizeOptions(false, Observer.MINMAX,
      DEFAULT_PERCENTILE, ScaleMode.ANY, WeightFormat.INT8, IoType.INT8);

  public QuantizeOptions {
    Objects.requireNonNull(observer);
    Objects.requireNonNull(scales);
    Objects.requireNonNull(weights);
    Objects.requireNonNull(io);
    if (!(percentile > 50 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (50, 100], got " + percentile);
    }
  }

  public QuantizeOptions withPerChannel(boolean b) {
    return new QuantizeOptions(b, observer, percentile, scales, weights, io);
  }

  public QuantizeOptions withObserver(Observer o) {
    return new QuantizeOptions(perChannel, o, percentile, scales, weights, io);
  }

  public QuantizeOptions withPercentile(double p) {
    return new QuantizeOptions(perChannel, observer, p, scales, weights, io);
  }

  public QuantizeOptions withScales(ScaleMode s) {
    return new QuantizeOptions(perChannel, observer, percentile, s, weights, io);
  }

  public QuantizeOptions withWeights(WeightFormat w) {
    return new QuantizeOptions(perChannel, observer, percentile, scales, w, io);
  }

  public QuantizeOptions withIo(IoType t) {
    return new QuantizeOptions(perChannel, observer, percentile, scales, weights, t);
  }
}
