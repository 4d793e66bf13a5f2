package io.kiln.frontend.tflite;

import io.kiln.KilnException;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import org.tensorflow.lite.schema.QuantizationParameters;

/**
 * A TFLite tensor's quantization parameters as Kiln's {@link Quantization}: none, per tensor or
 * per axis, with the counts and the axis checked against the tensor's shape.
 */
final class TfliteQuantization {
  private TfliteQuantization() {}

  static Quantization of(ReadGuard guard, QuantizationParameters q, Shape shape, int t,
      String name) {
    if (q == null) {
      return Quantization.NONE;
    }
    int scales = guard.length(q.scaleLength(), 4, "scales of tensor " + t);
    int zeroPoints = guard.length(q.zeroPointLength(), 8, "zero points of tensor " + t);
    // Like TFLite, a tensor needs both scales and zero points to count as quantized.
    if (scales == 0 || zeroPoints == 0) {
      return Quantization.NONE;
    }
    if (scales != zeroPoints) {
      throw new KilnException("tensor " + t + " '" + name + "' has " + scales + " scales but "
          + zeroPoints + " zero points");
    }
    if (scales == 1) {
      return new Quantization.PerTensor(q.scale(0), q.zeroPoint(0));
    }
    int axis = q.quantizedDimension();
    if ((axis < 0 || axis >= shape.rank()) && shape.rank() == 1) {
      // person_detect's 1-D biases say quantized_dimension=3; TFLM ignores the field for them.
      axis = 0;
    }
    if (axis < 0 || axis >= shape.rank()) {
      throw new KilnException("tensor " + t + " '" + name + "' has quantized_dimension " + axis
          + " but shape " + shape);
    }
    if (shape.dim(axis) != scales) {
      throw new KilnException("tensor " + t + " '" + name + "' has " + scales
          + " per-channel scales but dimension " + axis + " of " + shape + " is "
          + shape.dim(axis));
    }
    float[] s = new float[scales];
    long[] z = new long[scales];
    for (int i = 0; i < scales; i++) {
      s[i] = q.scale(i);
      z[i] = q.zeroPoint(i);
    }
    return new Quantization.PerAxis(axis, s, z);
  }
}
