package io.kiln.quantize;

import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.quant.FixedPoint;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves runtime tensors between the real and the integer domain for comparisons: float inputs
 * onto a quantized model's input types, and quantized results back to real numbers.
 */
public final class QuantTensors {
  private QuantTensors() {}

  /** Real values of {@code t}: floats as they are, integers through {@code quant}. */
  public static float[] real(Tensor t, Quantization quant) {
    if (t.dtype == DType.FLOAT32) {
      return t.floats;
    }
    float[] out = new float[t.elements()];
    if (!quant.isQuantized()) {
      for (int i = 0; i < out.length; i++) {
        out[i] = t.ints[i];
      }
      return out;
    }
    if (quant instanceof Quantization.PerAxis) {
      throw new IllegalArgumentException("per-axis quantized activations are not compared");
    }
    double scale = quant.scale();
    long zp = quant.zeroPoint();
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (scale * (t.ints[i] - zp));
    }
    return out;
  }

  /**
   * {@code x} on the integer type {@code target}: {@code round(x / scale) + zeroPoint} with ties
   * away from zero, saturated (TFLite's AffineQuantize); float targets take {@code x} as is.
   */
  public static Tensor quantize(Tensor x, TensorType target) {
    if (target.dtype() == DType.FLOAT32) {
      return x;
    }
    Quantization q = target.quant();
    int[] out = new int[x.elements()];
    for (int i = 0; i < out.length; i++) {
      long r = FixedPoint.roundHalfAway(x.floats[i] / (double) q.scale()) + q.zeroPoint();
      out[i] = (int) FixedPoint.clamp(r, target.dtype().min(), target.dtype().max());
    }
    return Tensor.ofInts(target.dtype(), target.shape(), out);
  }

  /** A float sample as inputs of {@code g}, quantized where {@code g} takes integers. */
  public static List<Tensor> inputsFor(Graph g, List<Tensor> floatSample) {
    List<Tensor> out = new ArrayList<>();
    List<Value> ins = g.inputValues();
    for (int i = 0; i < ins.size(); i++) {
      out.add(quantize(floatSample.get(i), ins.get(i).type()));
    }
    return out;
  }
}
