package io.kiln.frontend.onnx;

import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Shape;
import java.util.List;

/**
 * ONNX quantization operators (QuantizeLinear, DequantizeLinear, MatMulInteger, QLinearMatMul)
 * and the quantization helpers the QLinear and Integer convolutions share.
 */
final class OnnxQuantOps {
  private OnnxQuantOps() {}

  static void quantizeLinear(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    if (n.attrs.i("block_size", 0) != 0) {
      throw n.fail("blocked quantization (block_size) is not supported");
    }
    float[] scales = n.floats(1, "y_scale");
    long[] zps = n.has(2) ? n.intValues(2, "y_zero_point") : null;
    DType out = n.has(2) ? n.type(n.in(2)).dtype()
        : n.attrs.has("output_dtype") ? OnnxTensors.dtype(n.attrs.intAttr("output_dtype", 2),
            n.where + " output_dtype") : DType.UINT8;
    Quantization q = OnnxQuantParams.of(scales, zps, n.attrs.intAttr("axis", 1), s.rank(),
        n.where);
    n.bind(0, n.ctx.apply(new Op.Quantize(RequantScheme.FLOAT_HALF_EVEN), List.of(x),
        n.out(0), out, q));
  }

  static void dequantizeLinear(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    if (n.attrs.i("block_size", 0) != 0) {
      throw n.fail("blocked quantization (block_size) is not supported");
    }
    float[] scales = n.floats(1, "x_scale");
    long[] zps = n.has(2) ? n.intValues(2, "x_zero_point") : null;
    Quantization q = OnnxQuantParams.of(scales, zps, n.attrs.intAttr("axis", 1), s.rank(),
        n.where);
    requireQuant(n, x, q);
    n.bind(0, n.ctx.apply(new Op.Dequantize(), List.of(x), n.out(0), DType.FLOAT32,
        Quantization.NONE));
  }

  /** The operand's type must already carry the quantization this operator reads it with. */
  static void requireQuant(OnnxNode n, int id, Quantization q) {
    Quantization have = n.type(id).quant();
    if (!have.equals(q)) {
      throw n.fail("tensor '" + n.ctx.builder.build().value(id).name() + "' is read with"
          + " quantization " + q + " but carries " + have + "; Kiln gives each tensor one"
          + " quantization");
    }
  }

  static void matMulInteger(OnnxNode n) {
    int a = n.in(0);
    int b = n.in(1);
    requireZeroPointsOnly(n, a, 2, -2);
    requireZeroPointsOnly(n, b, 3, -1);
    n.bind(0, n.ctx.apply(new Op.MatMul(), List.of(a, b), n.out(0), DType.INT32,
        Quantization.NONE));
  }

  /** For *Integer operators: the operand's type carries scale 1 and the node's zero points. */
  static void requireZeroPointsOnly(OnnxNode n, int id, int zpSlot, int axis) {
    long[] zps = n.has(zpSlot) ? n.intValues(zpSlot, "zero point") : null;
    requireQuant(n, id, OnnxQuantParams.of(null, zps, axis, n.ctx.shape(id).rank(), n.where));
  }

  /** Reads a, b with their quantization; MatMul to int32 accumulators; requantize half-even. */
  static void qlinearMatMul(OnnxNode n) {
    int a = n.in(0);
    int b = n.in(3);
    Quantization qa = quantOf(n, a, 1, 2, -2);
    Quantization qb = quantOf(n, b, 4, 5, -1);
    requireQuant(n, a, qa);
    requireQuant(n, b, qb);
    int outRank = io.kiln.ir.ShapeInference.matmul(new Op.MatMul(), n.ctx.shape(a),
        n.ctx.shape(b)).rank();
    Quantization acc = accumulatorQuant(qa.scale(), qb, outRank - 1);
    int mm = n.ctx.apply(new Op.MatMul(), List.of(a, b), n.derived("acc"), DType.INT32, acc);
    n.bind(0, requantize(n, mm, 6, 7, n.out(0)));
  }

  static Quantization quantOf(OnnxNode n, int id, int scaleSlot, int zpSlot, int axis) {
    return OnnxQuantParams.of(n.floats(scaleSlot, "scale"),
        n.has(zpSlot) ? n.intValues(zpSlot, "zero point") : null, axis, n.ctx.shape(id).rank(),
        n.where);
  }

  /**
   * The scale of int32 accumulators: input scale times each weight scale, a float32 product as
   * ONNX Runtime forms it; per axis along the output channel when the weights are per axis.
   */
  static Quantization accumulatorQuant(float inputScale, Quantization weights, int channelAxis) {
    return switch (weights) {
      case Quantization.PerAxis p -> {
        float[] s = new float[p.channels()];
        for (int c = 0; c < s.length; c++) {
          s[c] = inputScale * p.scale(c);
        }
        yield new Quantization.PerAxis(channelAxis, s, new long[s.length]);
      }
      default -> new Quantization.PerTensor(inputScale * weights.scale(), 0);
    };
  }

  /** Output stage of QLinear*: Quantize(FLOAT_HALF_EVEN) to the y scale and zero point. */
  static int requantize(OnnxNode n, int acc, int scaleSlot, int zpSlot, String outName) {
    float[] ys = n.floats(scaleSlot, "y_scale");
    long[] yz = n.has(zpSlot) ? n.intValues(zpSlot, "y_zero_point") : null;
    DType out = n.has(zpSlot) ? n.type(n.in(zpSlot)).dtype() : DType.UINT8;
    Quantization q = OnnxQuantParams.of(ys, yz, 0, 1, n.where);
    if (!(q instanceof Quantization.PerTensor)) {
      throw n.fail("y_scale must be a single value");
    }
    return n.ctx.apply(new Op.Quantize(RequantScheme.FLOAT_HALF_EVEN), List.of(acc), outName,
        out, q);
  }
}
