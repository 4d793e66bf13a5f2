package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.ConvRequant;

/**
 * Emits TransposeConv for int8 (int32 accumulators) and 16x8 (int16 activations, int8 weights,
 * int64 accumulators and bias, TFLM's reduced-multiplier requantization). TFLM scatters each
 * input element into a scratch buffer; this kernel gathers instead, summing for each output
 * element the input elements and filter taps that reach it. Integer sums do not depend on their
 * order (and wrap alike), so the results equal the reference, with no scratch buffer.
 */
final class TransposeConvEmitter {
  private TransposeConvEmitter() {}

  static long emit(LayerContext ctx, Op.TransposeConv op) {
    DType dt = ctx.in(Op.TransposeConv.INPUT).dtype();
    if (dt != DType.INT8 && dt != DType.INT16) {
      throw ctx.unsupported(dt.shortName() + " input");
    }
    ctx.requireType(Op.TransposeConv.FILTER, DType.INT8);
    ctx.requireOutType(dt);
    boolean wide = dt == DType.INT16;
    DType biasType = ctx.has(Op.TransposeConv.BIAS) ? ctx.in(Op.TransposeConv.BIAS).dtype()
        : null;
    if (biasType != null && biasType != (wide ? DType.INT64 : DType.INT32)
        && !(wide && biasType == DType.INT16)) {
      throw ctx.unsupported("a " + biasType.shortName() + " bias");
    }
    Shape in = ctx.in(Op.TransposeConv.INPUT).shape();
    Shape f = ctx.in(Op.TransposeConv.FILTER).shape();
    Shape out = ctx.out().shape();
    int batches = in.dim(0);
    int ih = in.dim(1);
    int iw = in.dim(2);
    int ic = in.dim(3);
    int oh = out.dim(1);
    int ow = out.dim(2);
    int oc = out.dim(3);
    int kh = f.dim(1);
    int kw = f.dim(2);
    for (int c = 0; c < oc; c++) {
      if (ctx.in(Op.TransposeConv.FILTER).quant().zeroPointAt(
          ctx.in(Op.TransposeConv.FILTER).quant() instanceof io.kiln.ir.Quantization.PerAxis
              ? c : 0) != 0) {
        throw ctx.unsupported("an asymmetric filter");
      }
    }
    ConvRequant rq = ConvRequant.convolution(ctx.in(Op.TransposeConv.INPUT),
        ctx.in(Op.TransposeConv.FILTER), ctx.out(), oc, ctx.where());
    ActivationRange range = ActivationRange.quantized(op.act(), ctx.out(), ctx.where());
    int inOffset = (int) -ctx.in(Op.TransposeConv.INPUT).quant().zeroPoint();
    int outZero = (int) ctx.out().quant().zeroPoint();
    String filter = ctx.constant(Op.TransposeConv.FILTER);
    String bias = biasType != null ? ctx.constant(Op.TransposeConv.BIAS) : null;
    CSource c = ctx.src();
    String mult = ctx.name("mult");
    String shift = ctx.name("shift");
    c.array("static const int32_t " + mult, rq.multipliers());
    c.array("static const int8_t " + shift, rq.shifts());
    c.blank();
    int[] params = ctx.node().hasInput(Op.TransposeConv.OUTPUT_SHAPE)
        && !ctx.graph().value(ctx.node().input(Op.TransposeConv.OUTPUT_SHAPE)).isConstant()
        ? new int[] {Op.TransposeConv.INPUT, Op.TransposeConv.OUTPUT_SHAPE}
        : new int[] {Op.TransposeConv.INPUT};
    ctx.beginFunction("transpose_conv", params, params.length == 2
        ? new String[] {"in", "output_shape"} : new String[] {"in"});
    if (params.length == 2) {
      // The runtime output shape must be the static one (the interpreter checks it).
      c.line("(void)output_shape;");
    }
    String acc = wide ? "int64_t" : "int32_t";
    c.open("for (int b = 0; b < %d; ++b)", batches);
    c.open("for (int oy = 0; oy < %d; ++oy)", oh);
    c.open("for (int ox = 0; ox < %d; ++ox)", ow);
    c.open("for (int oc = 0; oc < %d; ++oc)", oc);
    c.line("%s acc = 0;", acc);
    c.open("for (int fy = 0; fy < %d; ++fy)", kh);
    // Input row iy reaches output row oy through tap fy when iy * stride - pad + fy == oy.
    c.line("const int ty = oy + %d - fy;", op.pads().top());
    c.line("if (ty < 0 || ty %% %d != 0 || ty / %d >= %d) continue;", op.strideH(),
        op.strideH(), ih);
    c.open("for (int fx = 0; fx < %d; ++fx)", kw);
    c.line("const int tx = ox + %d - fx;", op.pads().left());
    c.line("if (tx < 0 || tx %% %d != 0 || tx / %d >= %d) continue;", op.strideW(),
        op.strideW(), iw);
    c.line("const %s *x = in + ((b * %d + ty / %d) * %d + tx / %d) * %d;",
        CSource.ctype(dt), ih, op.strideH(), iw, op.strideW(), ic);
    c.line("const int8_t *w = %s + ((oc * %d + fy) * %d + fx) * %d;", filter, kh, kw, ic);
    c.open("for (int ic = 0; ic < %d; ++ic)", ic);
    if (wide) {
      c.line("acc += (int64_t)((int32_t)x[ic]%s) * w[ic];", CSource.plus(inOffset));
    } else {
      // |offset input x weight| <= 255 * 128; TFLM sums these in an int32.
      c.line("acc = (int32_t)((uint32_t)acc + (uint32_t)(((int32_t)x[ic]%s) * w[ic]));",
          CSource.plus(inOffset));
    }
    c.close();
    c.close();
    c.close();
    if (bias != null) {
      c.line(wide ? "acc += %s[oc];" : "acc = (int32_t)((uint32_t)acc + (uint32_t)%s[oc]);",
          bias);
    }
    if (wide) {
      // TFLite's int64 MultiplyByQuantizedMultiplier: the multiplier reduced to 16 bits, one
      // rounding shift by 15 - shift (shift <= 7, so at least 8); |acc * reduced| < 2^62.
      c.line("const int32_t m = %s[oc];", mult);
      c.line("const int64_t reduced = m < 0x7FFF0000 ? ((m + (1 << 15)) >> 16) : 0x7FFF;");
      c.line("const int total = 15 - %s[oc];", shift);
      c.line("int32_t v = (int32_t)((acc * reduced + (INT64_C(1) << (total - 1))) >> total)%s;",
          CSource.plus(outZero));
      c.line("v = v < %d ? %d : v;", range.min(), range.min());
      c.line("out[((b * %d + oy) * %d + ox) * %d + oc] = (int16_t)(v > %d ? %d : v);", oh, ow, oc,
          range.max(), range.max());
    } else {
      c.line("out[((b * %d + oy) * %d + ox) * %d + oc] = (int8_t)kiln_requant(acc, %s[oc],"
          + " %s[oc], %d, %d, %d);", oh, ow, oc, mult, shift, outZero, range.min(), range.max());
    }
    c.close();
    c.close();
    c.close();
    c.close();
    ctx.endFunction();
    return (long) batches * ih * iw * ic * kh * kw * oc;
  }
}
