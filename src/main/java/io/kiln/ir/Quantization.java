package io.kiln.ir;

import java.util.Arrays;

/**
 * How an integer tensor maps to real numbers: {@code real = scale * (q - zeroPoint)}, per tensor
 * or per slice along one axis. Scales are kept as float32 because that is what model files store
 * and what the reference arithmetic starts from.
 */
public sealed interface Quantization {

  /** No quantization: float tensors and plain integer tensors (shapes, indices). */
  record None() implements Quantization {}

  record PerTensor(float scale, long zeroPoint) implements Quantization {}

  record PerAxis(int axis, float[] scales, long[] zeroPoints) implements Quantization {
    public PerAxis {
      if (scales.length != zeroPoints.length) {
        throw new IllegalArgumentException("per-axis scales and zero points differ in length");
      }
      scales = scales.clone();
      zeroPoints = zeroPoints.clone();
    }

    @Override
    public float[] scales() {
      return scales.clone();
    }

    @Override
    public long[] zeroPoints() {
      return zeroPoints.clone();
    }

    public int channels() {
      return scales.length;
    }

    public float scale(int channel) {
      return scales[channel];
    }

    public long zeroPoint(int channel) {
      return zeroPoints[channel];
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PerAxis p
          && axis == p.axis
          && Arrays.equals(scales, p.scales)
          && Arrays.equals(zeroPoints, p.zeroPoints);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * axis + Arrays.hashCode(scales)) + Arrays.hashCode(zeroPoints);
    }

    @Override
    public String toString() {
      return "PerAxis[axis=" + axis + ", scales=" + Arrays.toString(scales)
          + ", zeroPoints=" + Arrays.toString(zeroPoints) + "]";
    }
  }

  Quantization NONE = new None();

  static Quantization perTensor(double scale, long zeroPoint) {
    return new PerTensor((float) scale, zeroPoint);
  }

  default boolean isQuantized() {
    return !(this instanceof None);
  }

  /** Scale of channel {@code c} (per-tensor quantization has the same scale everywhere). */
  default float scaleAt(int c) {
    return switch (this) {
      case None n -> throw new IllegalStateException("tensor is not quantized");
      case PerTensor p -> p.scale();
      case PerAxis p -> p.scale(c);
    };
  }

  /** Zero point of channel {@code c}. */
  default long zeroPointAt(int c) {
    return switch (this) {
      case None n -> throw new IllegalStateException("tensor is not quantized");
      case PerTensor p -> p.zeroPoint();
      case PerAxis p -> p.zeroPoint(c);
    };
  }

  /** The single scale of a per-tensor quantization. */
  default float scale() {
    if (this instanceof PerTensor p) {
      return p.scale();
    }
    throw new IllegalStateException("expected per-tensor quantization, got " + this);
  }

  /** The single zero point of a per-tensor quantization. */
  default long zeroPoint() {
    if (this instanceof PerTensor p) {
      return p.zeroPoint();
    }
    throw new IllegalStateException("expected per-tensor quantization, got " + this);
  }
}
