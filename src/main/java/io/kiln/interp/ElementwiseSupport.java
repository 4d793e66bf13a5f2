package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Quantization;
import io.kiln.ir.Value;

/**
 * Prepare-time helpers shared by the element-wise, activation, softmax, quantize and data-movement
 * kernels: per-tensor quantization lookups, TFLite's float rounding, and uniform error messages.
 */
final class ElementwiseSupport {
  private ElementwiseSupport() {}

  /** The per-tensor scale of {@code v}; kernels that need one reject anything else. */
  static float scale(Graph g, Node n, Value v) {
    return perTensor(g, n, v).scale();
  }

  /** The per-tensor zero point of {@code v} as the int32 TFLite keeps it. */
  static int zeroPoint(Graph g, Node n, Value v) {
    return Math.toIntExact(perTensor(g, n, v).zeroPoint());
  }

  /** Scale of {@code v}, or 0 when unquantized (what TFLite's params hold for such tensors). */
  static float scaleOrZero(Value v) {
    return v.quant() instanceof Quantization.PerTensor p ? p.scale() : 0f;
  }

  /** Zero point of {@code v}, or 0 when unquantized. */
  static int zeroPointOrZero(Value v) {
    return v.quant() instanceof Quantization.PerTensor p ? Math.toIntExact(p.zeroPoint()) : 0;
  }

  private static Quantization.PerTensor perTensor(Graph g, Node n, Value v) {
    if (v.quant() instanceof Quantization.PerTensor p) {
      return p;
    }
    throw fail(g, n, "tensor '" + v.name() + "' needs per-tensor quantization, has " + v.quant());
  }

  /** A one-line user-facing error naming the operator and its output. */
  static KilnException fail(Graph g, Node n, String detail) {
    return new KilnException(n.op().opName() + " '" + g.output(n).name() + "': " + detail);
  }

  /** "the interpreter does not support OP on IN -> OUT". */
  static KilnException unsupportedTypes(Graph g, Node n) {
    Value in = g.input(n, 0);
    Value out = g.output(n);
    return new KilnException("the interpreter does not support " + n.op().opName() + " on "
        + in.dtype().shortName() + " -> " + out.dtype().shortName() + " ('" + out.name() + "')");
  }

  /**
   * TfLiteRound on a float: nearest integer, ties away from zero, in float. Done in double, where
   * |v| + 0.5 is exact for every float below 2^52, and every float at or above 2^23 is integral.
   */
  static float roundHalfAway(float v) {
    double a = Math.floor(Math.abs((double) v) + 0.5);
    return (float) (v < 0 ? -a : a);
  }

  /**
   * C's float-to-int32 conversion as x86 performs it: truncation, with out-of-range values and
   * NaN giving INT32_MIN (TFLite relies on inputs staying in range; this keeps us deterministic).
   */
  static int toInt32(double v) {
    if (Double.isNaN(v) || v >= 2147483648.0 || v < -2147483648.0) {
      return Integer.MIN_VALUE;
    }
    return (int) v;
  }
}
