package io.kiln.interp;

import io.kiln.ir.BatchMatMulLayout;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.quant.ConvRequant;
import io.kiln.quant.FixedPoint;

/**
 * TFLite BATCH_MATMUL as TFLM computes it (batch_matmul.cc with reference_ops::BatchMatMul): for
 * each broadcast batch, out[i][j] sums lhs[i][k] * rhs[k][j] over k in ascending order; int8
 * operands are offset by their zero points, the int32 sum requantized with the multiplier of
 * {@code GetQuantizedConvolutionMultipler} (lhs and rhs scales multiplied in float) and clamped to
 * the int8 range (the operator has no fused activation).
 */
final class BatchMatMulKernel {
  private BatchMatMulKernel() {}

  static Kernel prepare(Graph g, Node n, Op.BatchMatMul op) {
    Value lhs = g.input(n, Op.BatchMatMul.LHS);
    Value rhs = g.input(n, Op.BatchMatMul.RHS);
    Value out = g.output(n);
    BatchMatMulLayout l = BatchMatMulLayout.of(lhs.shape(), rhs.shape(), out.shape(), op);
    DType dt = lhs.dtype();
    if (dt == DType.FLOAT32 && rhs.dtype() == dt && out.dtype() == dt) {
      return inputs -> Tensor.ofFloats(out.shape(), runFloat(l, inputs[0].floats,
          inputs[1].floats));
    }
    if ((dt != DType.INT8 && dt != DType.INT16) || rhs.dtype() != dt || out.dtype() != dt) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    String where = ConvKernels.where(g, n);
    ConvRequant rq = ConvRequant.fullyConnected(lhs.type(), rhs.type(), out.type(), 1, where);
    if (dt == DType.INT16) {
      int mult = rq.multipliers()[0];
      int shift = rq.shifts()[0];
      checkInt16(g, n, l, shift);
      return inputs -> Tensor.ofInts(DType.INT16, out.shape(), runInt16(l, inputs[0].ints,
          inputs[1].ints, mult, shift));
    }
    int lhsOffset = -ElementwiseSupport.zeroPoint(g, n, lhs);
    int rhsOffset = -ElementwiseSupport.zeroPoint(g, n, rhs);
    int outZp = ElementwiseSupport.zeroPoint(g, n, out);
    return inputs -> Tensor.ofInts(DType.INT8, out.shape(), runInt8(l, inputs[0].ints,
        inputs[1].ints, lhsOffset, rhsOffset, rq.multipliers()[0], rq.shifts()[0], outZp));
  }

  /**
   * batch_matmul.cc's int16 case: zero points must be 0; the int64 MultiplyByQuantizedMultiplier
   * takes shifts in [-31, 7] and sums below 2^47, which |a * b| <= 2^30 keeps for depths below
   * 2^17.
   */
  static void checkInt16(Graph g, Node n, BatchMatMulLayout l, int shift) {
    for (int slot = 0; slot < 2; slot++) {
      if (ElementwiseSupport.zeroPoint(g, n, g.input(n, slot)) != 0) {
        throw ElementwiseSupport.fail(g, n, "int16 BatchMatMul needs zero points of 0");
      }
    }
    if (ElementwiseSupport.zeroPoint(g, n, g.output(n)) != 0) {
      throw ElementwiseSupport.fail(g, n, "int16 BatchMatMul needs zero points of 0");
    }
    if (shift < -31 || shift > 7 || l.depth() >= 1 << 17) {
      throw ElementwiseSupport.fail(g, n, "int16 BatchMatMul with shift " + shift + " and depth "
          + l.depth() + " is outside what TFLite's int64 requantization takes");
    }
  }

  static int[] runInt16(BatchMatMulLayout l, int[] a, int[] b, int mult, int shift) {
    int[] out = new int[l.batches() * l.rows() * l.cols()];
    for (int bt = 0; bt < l.batches(); bt++) {
      for (int i = 0; i < l.rows(); i++) {
        for (int j = 0; j < l.cols(); j++) {
          long total = 0;
          for (int k = 0; k < l.depth(); k++) {
            total += (long) a[l.lhsBatch()[bt] + i * l.lhsRowStride() + k * l.lhsDepthStride()]
                * b[l.rhsBatch()[bt] + k * l.rhsDepthStride() + j * l.rhsColStride()];
          }
          int v = FixedPoint.multiplyByQuantizedMultiplier(total, mult, shift);
          out[(bt * l.rows() + i) * l.cols() + j] = FixedPoint.clamp(v, -32768, 32767);
        }
      }
    }
    return out;
  }

  static float[] runFloat(BatchMatMulLayout l, float[] a, float[] b) {
    float[] out = new float[l.batches() * l.rows() * l.cols()];
    for (int bt = 0; bt < l.batches(); bt++) {
      for (int i = 0; i < l.rows(); i++) {
        for (int j = 0; j < l.cols(); j++) {
          float total = 0f;
          for (int k = 0; k < l.depth(); k++) {
            total += a[l.lhsBatch()[bt] + i * l.lhsRowStride() + k * l.lhsDepthStride()]
                * b[l.rhsBatch()[bt] + k * l.rhsDepthStride() + j * l.rhsColStride()];
          }
          out[(bt * l.rows() + i) * l.cols() + j] = total;
        }
      }
    }
    return out;
  }

  /**
   * |(a - a_zp) * (b - b_zp)| <= 255 * 255, so int32 holds the sum for depths below 33,000; the
   * sum wraps like TFLM's int32 beyond that.
   */
  static int[] runInt8(BatchMatMulLayout l, int[] a, int[] b, int aOffset, int bOffset, int mult, int shift,
      int outZp) {
    int[] out = new int[l.batches() * l.rows() * l.cols()];
    for (int bt = 0; bt < l.batches(); bt++) {
      for (int i = 0; i < l.rows(); i++) {
        for (int j = 0; j < l.cols(); j++) {
          int total = 0;
          for (int k = 0; k < l.depth(); k++) {
            total += (a[l.lhsBatch()[bt] + i * l.lhsRowStride() + k * l.lhsDepthStride()]
                + aOffset) * (b[l.rhsBatch()[bt] + k * l.rhsDepthStride() + j * l.rhsColStride()]
                + bOffset);
          }
          int v = FixedPoint.multiplyByQuantizedMultiplier(total, mult, shift) + outZp;
          out[(bt * l.rows() + i) * l.cols() + j] = FixedPoint.clamp(v, -128, 127);
        }
      }
    }
    return out;
  }
}
