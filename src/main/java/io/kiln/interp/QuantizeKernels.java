package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import java.util.Set;

/**
 * Quantize (float to integer, and integer to integer requantization) and Dequantize, following
 * TFLite Micro's quantize_common.cc / dequantize_common.cc and reference/{quantize,requantize,
 * dequantize}.h.
 */
final class QuantizeKernels {
  private QuantizeKernels() {}

  /** Prepared float-to-integer quantization: TFLite's AffineQuantize parameters. */
  record AffineParams(float scale, int zeroPoint, int min, int max) {}

  /** Prepared integer requantization: TFLite's Requantize parameters. */
  record RequantizeParams(int inputZeroPoint, QuantizedMultiplier multiplier,
      int outputZeroPoint, int min, int max) {}

  /** Prepared dequantization: the scale widened to double as TFLM stores it. */
  record DequantizeParams(double scale, int zeroPoint) {}

  /** The integer (input, output) pairs TFLM's quantize kernel requantizes. */
  private static final Set<String> REQUANTIZE_PAIRS = Set.of(
      "i16>i8", "i8>i8", "i8>u8", "u8>i8", "i8>i16", "i8>i32", "i16>i16", "i16>i32", "i32>i8",
      "i32>i16");

  static Kernel quantize(Graph g, Node n, Op.Quantize op) {
    Value in = g.input(n, Op.Quantize.INPUT);
    Value out = g.output(n);
    DType od = out.dtype();
    if (in.dtype() == DType.FLOAT32 && (od == DType.INT8 || od == DType.INT16)) {
      AffineParams p = new AffineParams(ElementwiseSupport.scale(g, n, out),
          ElementwiseSupport.zeroPoint(g, n, out), (int) od.min(), (int) od.max());
      return inputs -> {
        float[] x = inputs[0].floats;
        int[] o = new int[x.length];
        for (int i = 0; i < x.length; i++) {
          o[i] = affineQuantize(p, x[i]);
        }
        return Tensor.ofInts(od, out.shape(), o);
      };
    }
    String pair = in.dtype().shortName() + ">" + od.shortName();
    if (REQUANTIZE_PAIRS.contains(pair)) {
      RequantizeParams p = prepareRequantize(g, n, in, out);
      return inputs -> {
        int[] x = inputs[0].ints;
        int[] o = new int[x.length];
        for (int i = 0; i < x.length; i++) {
          o[i] = requantize(p, x[i]);
        }
        return Tensor.ofInts(od, out.shape(), o);
      };
    }
    throw ElementwiseSupport.unsupportedTypes(g, n);
  }

  /**
   * quantize_common.cc: effective_scale = input_scale / output_scale in double. An int32 input
   * must carry its own scale (TFLM would otherwise silently use 0 and output the zero point).
   */
  static RequantizeParams prepareRequantize(Graph g, Node n, Value in, Value out) {
    float si = ElementwiseSupport.scale(g, n, in);
    float so = ElementwiseSupport.scale(g, n, out);
    double effectiveScale = (double) si / (double) so;
    return new RequantizeParams(ElementwiseSupport.zeroPoint(g, n, in),
        FixedPoint.quantizeMultiplier(effectiveScale), ElementwiseSupport.zeroPoint(g, n, out),
        (int) out.dtype().min(), (int) out.dtype().max());
  }

  /**
   * reference_ops::AffineQuantize: round(x / scale) in float (ties away from zero), then the
   * zero point, then the output range.
   */
  static int affineQuantize(AffineParams p, float x) {
    // The float division and rounding are the operator's definition, not a fixed-point kernel.
    float rounded = ElementwiseSupport.roundHalfAway(x / p.scale());
    int unclamped = ElementwiseSupport.toInt32(rounded) + p.zeroPoint();
    return Math.min(Math.max(unclamped, p.min()), p.max());
  }

  /**
   * reference_ops::Requantize: (x - zp_in) rescaled, plus zp_out, clamped. The subtraction is
   * int32 and wraps like TFLite's for int32 inputs at the extremes (zero points are 0 there).
   */
  static int requantize(RequantizeParams p, int x) {
    int output = FixedPoint.multiplyByQuantizedMultiplier(x - p.inputZeroPoint(),
        p.multiplier().multiplier(), p.multiplier().shift()) + p.outputZeroPoint();
    return Math.max(Math.min(output, p.max()), p.min());
  }

  static Kernel dequantize(Graph g, Node n, Op.Dequantize op) {
    Value in = g.input(n, Op.Dequantize.INPUT);
    Value out = g.output(n);
    DType id = in.dtype();
    if (out.dtype() != DType.FLOAT32
        || (id != DType.INT8 && id != DType.INT16 && id != DType.UINT8)) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    DequantizeParams p = new DequantizeParams(ElementwiseSupport.scale(g, n, in),
        ElementwiseSupport.zeroPoint(g, n, in));
    return inputs -> {
      int[] x = inputs[0].ints;
      float[] o = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        // reference_ops::Dequantize: double scale times the int32 difference, then to float.
        o[i] = (float) (p.scale() * (x[i] - p.zeroPoint()));
      }
      return Tensor.ofFloats(out.shape(), o);
    };
  }
}
