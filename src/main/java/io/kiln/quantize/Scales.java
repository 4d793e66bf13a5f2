package io.kiln.quantize;

import io.kiln.ir.Quantization;
import io.kiln.quant.FixedPoint;

/**
 * Turns real ranges into int8 quantization parameters: asymmetric activations whose range always
 * holds zero exactly (so zero padding is exact), symmetric weights, and the power-of-two rounding
 * of shift-only targets.
 */
final class Scales {
  static final int QMIN = -128;
  static final int QMAX = 127;
  /** Symmetric weights use [-127, 127] so that negation never overflows (TFLite does the same). */
  static final int WEIGHT_MAX = 127;

  private Scales() {}

  /**
   * Asymmetric int8 parameters covering {@code [lo, hi]} widened to hold zero: scale
   * {@code (hi - lo) / 255} and the zero point that maps {@code lo} to -128, rounded and clamped
   * (TFLite's nudging). With {@code pow2} the scale is rounded up to a power of two so the range
   * still fits.
   */
  static Quantization.PerTensor activation(double lo, double hi, boolean pow2) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
    double scale = (hi - lo) / (QMAX - QMIN);
    if (!(scale > 0) || !Double.isFinite(scale)) {
      // A value that was always zero: any scale represents it; 1/256 keeps it harmless.
      scale = 1.0 / 256;
    }
    if (pow2) {
      scale = pow2Ceil(scale);
    }
    float s = (float) scale;
    long zp = FixedPoint.roundHalfAway(QMIN - lo / (double) s);
    zp = Math.max(QMIN, Math.min(QMAX, zp));
    return new Quantization.PerTensor(s, zp);
  }

  /** Symmetric scale so that {@code maxAbs} maps to 127. */
  static double symmetricWeight(double maxAbs, boolean pow2) {
    double scale = maxAbs > 0 ? maxAbs / WEIGHT_MAX : 1.0;
    return pow2 ? pow2Ceil(scale) : scale;
  }

  /** The smallest power of two at least {@code x} (x > 0), so no value gets clipped. */
  static double pow2Ceil(double x) {
    int e = Math.getExponent(x);
    double p = Math.scalb(1.0, e);
    return p >= x ? p : Math.scalb(1.0, e + 1);
  }

  /** The power of two nearest to {@code x} (x > 0) in the log domain. */
  static double pow2Nearest(double x) {
    return Math.scalb(1.0, (int) Math.round(Math.log(x) / Math.log(2)));
  }

  static boolean isPow2(float s) {
    return s > 0 && Math.scalb((double) s, -Math.getExponent(s)) == 1.0;
  }
}
