package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.BatchMatMulLayout;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.ConvRequant;

/**
 * Emits BATCH_MATMUL (float32 and int8) as the interpreter runs it: per broadcast batch and
 * output element, the products summed over the depth in ascending order (float: in float, no
 * contraction; int8: in int32 after the zero-point offsets), then for int8 TFLM's requantization
 * through {@code kiln_requant} to the full int8 range; int16 through TFLite's int64
 * requantization. The IR's float MatMul (ONNX) takes the same walk with a double sum.
 */
final class BatchMatMulEmitter {
  private BatchMatMulEmitter() {}

  /**
   * The IR's float MatMul (ONNX, numpy semantics) for operands of rank 2 or more: the same walk,
   * but summed in double and rounded once, as the interpreter's MatMul does.
   */
  static long matmul(LayerContext ctx) {
    for (int slot = 0; slot < 2; slot++) {
      if (ctx.in(slot).dtype() != DType.FLOAT32 || ctx.in(slot).shape().rank() < 2) {
        throw ctx.unsupported(ctx.in(slot).dtype().shortName() + ctx.in(slot).shape()
            + " operand (float operands of rank 2 or more are supported)");
      }
    }
    return emit(ctx, new Op.BatchMatMul(false, false), true);
  }

  static long emit(LayerContext ctx, Op.BatchMatMul op) {
    return emit(ctx, op, false);
  }

  private static long emit(LayerContext ctx, Op.BatchMatMul op, boolean doubleSum) {
    DType t = ctx.in(Op.BatchMatMul.LHS).dtype();
    if ((t != DType.FLOAT32 && t != DType.INT8 && t != DType.INT16)
        || ctx.in(Op.BatchMatMul.RHS).dtype() != t || ctx.out().dtype() != t) {
      throw ctx.unsupported(t.shortName() + " operands (f32, i8 and i16 are supported)");
    }
    BatchMatMulLayout l = BatchMatMulLayout.of(ctx.in(Op.BatchMatMul.LHS).shape(),
        ctx.in(Op.BatchMatMul.RHS).shape(), ctx.out().shape(), op);
    boolean f = t == DType.FLOAT32;
    if (t == DType.INT8 && (long) l.depth() * 255 * 255 > Integer.MAX_VALUE) {
      throw ctx.unsupported("a depth of " + l.depth() + " (the int32 sum could overflow)");
    }
    CSource c = ctx.src();
    String lb = ctx.name("lhs_batch");
    String rb = ctx.name("rhs_batch");
    c.array("static const int32_t " + lb, l.lhsBatch());
    c.array("static const int32_t " + rb, l.rhsBatch());
    int mult = 0;
    int shift = 0;
    if (!f) {
      ConvRequant rq = ConvRequant.fullyConnected(ctx.in(Op.BatchMatMul.LHS),
          ctx.in(Op.BatchMatMul.RHS), ctx.out(), 1, ctx.where());
      mult = rq.multipliers()[0];
      shift = rq.shifts()[0];
    }
    if (t == DType.INT16 && (ctx.in(Op.BatchMatMul.LHS).quant().zeroPoint() != 0
        || ctx.in(Op.BatchMatMul.RHS).quant().zeroPoint() != 0
        || ctx.out().quant().zeroPoint() != 0 || shift < -31 || shift > 7
        || l.depth() >= 1 << 17)) {
      throw ctx.unsupported("int16 zero points other than 0, shift " + shift + " or depth "
          + l.depth() + " (TFLite's int64 requantization)");
    }
    ctx.beginFunction("batch_matmul", new int[] {Op.BatchMatMul.LHS, Op.BatchMatMul.RHS},
        new String[] {"lhs", "rhs"});
    c.open("for (int bt = 0; bt < %d; ++bt)", l.batches());
    c.line("const %s *a = lhs + %s[bt];", CSource.ctype(t), lb);
    c.line("const %s *b = rhs + %s[bt];", CSource.ctype(t), rb);
    c.line("%s *o = out + bt * %d;", CSource.ctype(t), l.rows() * l.cols());
    c.open("for (int i = 0; i < %d; ++i)", l.rows());
    c.open("for (int j = 0; j < %d; ++j)", l.cols());
    String x = "a[" + CSource.times("i", l.lhsRowStride()) + " + "
        + CSource.times("k", l.lhsDepthStride()) + "]";
    String y = "b[" + CSource.times("k", l.rhsDepthStride()) + " + "
        + CSource.times("j", l.rhsColStride()) + "]";
    if (t == DType.INT16) {
      c.line("/* |a * b| <= 2^30 and the depth is below 2^17 (checked), so the sum stays below");
      c.line("   2^47, where TFLite's int64 requantization is exact. */");
      c.line("int64_t total = 0;");
      c.open("for (int k = 0; k < %d; ++k)", l.depth());
      c.line("total += (int64_t)%s * %s;", x, y);
      c.close();
      long reduced = mult < 0x7FFF0000 ? ((mult + (1 << 15)) >> 16) : 0x7FFF;
      c.line("int32_t v = (int32_t)((total * %d + (INT64_C(1) << %d)) >> %d);", reduced,
          14 - shift, 15 - shift);
      c.line("v = v < -32768 ? -32768 : v;");
      c.line("o[i * %d + j] = (int16_t)(v > 32767 ? 32767 : v);", l.cols());
    } else if (f) {
      c.line(doubleSum ? "double total = 0.0;" : "float total = 0.0f;");
      c.open("for (int k = 0; k < %d; ++k)", l.depth());
      c.line(doubleSum ? "total += (double)%s * %s;" : "total += %s * %s;", x, y);
      c.close();
      c.line("o[i * %d + j] = (float)total;", l.cols());
    } else {
      int lhsOffset = (int) -ctx.in(Op.BatchMatMul.LHS).quant().zeroPoint();
      int rhsOffset = (int) -ctx.in(Op.BatchMatMul.RHS).quant().zeroPoint();
      int zp = (int) ctx.out().quant().zeroPoint();
      c.line("/* |(a - a_zp) * (b - b_zp)| <= 255 * 255: %d terms stay inside int32. */",
          l.depth());
      c.line("int32_t total = 0;");
      c.open("for (int k = 0; k < %d; ++k)", l.depth());
      c.line("total += (%s%s) * (%s%s);", x, CSource.plus(lhsOffset), y,
          CSource.plus(rhsOffset));
      c.close();
      c.line("o[i * %d + j] = (int8_t)kiln_requant(total, %d, %d, %d, -128, 127);", l.cols(),
          mult, shift, zp);
    }
    c.close().close().close();
    ctx.endFunction();
    return (long) l.batches() * l.rows() * l.cols() * l.depth();
  }
}
