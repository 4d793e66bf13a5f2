package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Shape;
import io.kiln.ir.Value;

/**
 * Quantize with {@link RequantScheme#FLOAT_HALF_EVEN}, ONNX's QuantizeLinear and the output
 * stage of QLinearConv/QLinearMatMul: {@code saturate(rint(x / y_scale) + y_zp)} for float
 * inputs, {@code saturate(rint((q - x_zp) * (x_scale / y_scale)) + y_zp)} for integer inputs (an
 * int32 accumulator's scale being input scale times weight scale), all in float32. Also the
 * Dequantize of per-axis and int32 tensors, which TFLite's kernel does not take.
 */
final class HalfEvenQuantizeKernel {
  private HalfEvenQuantizeKernel() {}

  /** Per-channel parameters, prepared once; {@code channel(i)} maps a flat index to its channel. */
  private record Params(float[] scale, int[] zeroPoint, int inner, int channels) {
    int channel(int i) {
      return (i / inner) % channels;
    }
  }

  static Kernel prepare(Graph g, Node n, Op.Quantize op) {
    Value in = g.input(n, Op.Quantize.INPUT);
    Value out = g.output(n);
    DType od = out.dtype();
    if (!od.isInteger() || od == DType.INT64 || !out.quant().isQuantized()) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    long lo = od.min();
    long hi = od.max();
    if (in.dtype() == DType.FLOAT32) {
      Params p = params(out.quant(), out.shape(), g, n);
      return inputs -> {
        float[] x = inputs[0].floats;
        int[] o = new int[x.length];
        for (int i = 0; i < x.length; i++) {
          int c = p.channel(i);
          o[i] = saturate((float) Math.rint(x[i] / p.scale()[c]) + p.zeroPoint()[c], lo, hi);
        }
        return Tensor.ofInts(od, out.shape(), o);
      };
    }
    if (!in.dtype().isInteger() || in.dtype() == DType.INT64 || !in.quant().isQuantized()
        || !(out.quant() instanceof Quantization.PerTensor po)) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    Params pi = params(in.quant(), in.shape(), g, n);
    // The ratio of scales per input channel, in float32 as ONNX Runtime computes it.
    float[] ratio = new float[pi.channels()];
    for (int c = 0; c < ratio.length; c++) {
      ratio[c] = pi.scale()[c] / po.scale();
    }
    int zo = Math.toIntExact(po.zeroPoint());
    return inputs -> {
      int[] x = inputs[0].ints;
      int[] o = new int[x.length];
      for (int i = 0; i < x.length; i++) {
        int c = pi.channel(i);
        float real = (float) (x[i] - pi.zeroPoint()[c]) * ratio[c];
        o[i] = saturate((float) Math.rint(real) + zo, lo, hi);
      }
      return Tensor.ofInts(od, out.shape(), o);
    };
  }

  /** {@code (q - zp) * scale} in float32, per tensor or per axis, from any integer type. */
  static Kernel dequantize(Graph g, Node n, Op.Dequantize op) {
    Value in = g.input(n, Op.Dequantize.INPUT);
    Value out = g.output(n);
    if (!in.dtype().isInteger() || in.dtype() == DType.INT64 || out.dtype() != DType.FLOAT32) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    Params p = params(in.quant(), in.shape(), g, n);
    return inputs -> {
      int[] x = inputs[0].ints;
      float[] o = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        int c = p.channel(i);
        // The difference of two 32-bit integers is exact in long; its float rounding is what
        // ONNX's float32 arithmetic does for large int32 inputs.
        o[i] = (float) ((long) x[i] - p.zeroPoint()[c]) * p.scale()[c];
      }
      return Tensor.ofFloats(out.shape(), o);
    };
  }

  /** Saturating conversion of an integral float (plus zero point) to the output range. */
  private static int saturate(float v, long lo, long hi) {
    return (int) Math.max(lo, Math.min(hi, (long) v));
  }

  private static Params params(Quantization q, Shape shape, Graph g, Node n) {
    return switch (q) {
      case Quantization.None none -> throw ElementwiseSupport.fail(g, n, "tensor is not quantized");
      case Quantization.PerTensor p -> new Params(new float[] {p.scale()},
          new int[] {Math.toIntExact(p.zeroPoint())}, 1, 1);
      case Quantization.PerAxis p -> {
        int axis = p.axis();
        if (axis < 0 || axis >= shape.rank() || shape.dim(axis) != p.channels()) {
          throw ElementwiseSupport.fail(g, n, "per-axis quantization on axis " + axis + " with "
              + p.channels() + " channels does not fit " + shape);
        }
        int inner = 1;
        for (int a = axis + 1; a < shape.rank(); a++) {
          inner *= shape.dim(a);
        }
        int[] zp = new int[p.channels()];
        for (int c = 0; c < zp.length; c++) {
          zp[c] = Math.toIntExact(p.zeroPoint(c));
        }
        yield new Params(p.scales(), zp, inner, p.channels());
      }
    };
  }
}
