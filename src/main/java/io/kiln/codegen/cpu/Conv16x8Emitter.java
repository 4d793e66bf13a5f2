package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.ConvRequant;

/**
 * Emits a 16x8 Conv2D (int16 activations, int8 weights) like TFLM's reference kernel: an int64
 * accumulator with an int64 bias and the reduced-multiplier requantization, or, for an int32
 * bias, an int32 accumulator with the ordinary one. Plain loops over the output; strides,
 * dilation, padding and grouped filters as the interpreter handles them.
 */
final class Conv16x8Emitter {
  private Conv16x8Emitter() {}

  static long emit(LayerContext ctx, Op.Conv2D op) {
    ctx.requireType(Op.Conv2D.INPUT, DType.INT16);
    ctx.requireType(Op.Conv2D.FILTER, DType.INT8);
    ctx.requireOutType(DType.INT16);
    DType biasType = ctx.has(Op.Conv2D.BIAS) ? ctx.in(Op.Conv2D.BIAS).dtype() : null;
    if (biasType != null && biasType != DType.INT64 && biasType != DType.INT32) {
      throw ctx.unsupported("a " + biasType.shortName() + " bias");
    }
    boolean wide = biasType != DType.INT32;
    Shape in = ctx.in(Op.Conv2D.INPUT).shape();
    Shape f = ctx.in(Op.Conv2D.FILTER).shape();
    Shape out = ctx.out().shape();
    int ih = in.dim(1);
    int iw = in.dim(2);
    int ic = in.dim(3);
    int oh = out.dim(1);
    int ow = out.dim(2);
    int oc = out.dim(3);
    int kh = f.dim(1);
    int kw = f.dim(2);
    int depth = f.dim(3);
    if (depth == 0 || ic % depth != 0 || oc % (ic / depth) != 0) {
      throw ctx.unsupported("filter " + f + " that does not divide input " + in + " into groups");
    }
    int perGroup = oc / (ic / depth);
    for (int c = 0; c < oc; c++) {
      var q = ctx.in(Op.Conv2D.FILTER).quant();
      if (q.zeroPointAt(q instanceof io.kiln.ir.Quantization.PerAxis ? c : 0) != 0) {
        throw ctx.unsupported("an asymmetric filter");
      }
    }
    ConvRequant rq = ConvRequant.convolution(ctx.in(Op.Conv2D.INPUT), ctx.in(Op.Conv2D.FILTER),
        ctx.out(), oc, ctx.where());
    ActivationRange range = ActivationRange.quantized(op.act(), ctx.out(), ctx.where());
    int inOffset = (int) -ctx.in(Op.Conv2D.INPUT).quant().zeroPoint();
    int outZero = (int) ctx.out().quant().zeroPoint();
    String filter = ctx.constant(Op.Conv2D.FILTER);
    String bias = biasType != null ? ctx.constant(Op.Conv2D.BIAS) : null;
    CSource c = ctx.src();
    String mult = ctx.name("mult");
    String shift = ctx.name("shift");
    c.array("static const int32_t " + mult, rq.multipliers());
    c.array("static const int8_t " + shift, rq.shifts());
    c.blank();
    ctx.beginFunction("conv16x8", new int[] {Op.Conv2D.INPUT}, new String[] {"in"});
    c.open("for (int b = 0; b < %d; ++b)", in.dim(0));
    c.open("for (int oy = 0; oy < %d; ++oy)", oh);
    c.open("for (int ox = 0; ox < %d; ++ox)", ow);
    c.open("for (int oc = 0; oc < %d; ++oc)", oc);
    c.line("%s acc = 0;", wide ? "int64_t" : "int32_t");
    c.open("for (int fy = 0; fy < %d; ++fy)", kh);
    c.line("const int iy = oy * %d - %d + %d * fy;", op.strideH(), op.pads().top(),
        op.dilationH());
    c.line("if (iy < 0 || iy >= %d) continue;", ih);
    c.open("for (int fx = 0; fx < %d; ++fx)", kw);
    c.line("const int ix = ox * %d - %d + %d * fx;", op.strideW(), op.pads().left(),
        op.dilationW());
    c.line("if (ix < 0 || ix >= %d) continue;", iw);
    c.line("const int16_t *x = in + ((b * %d + iy) * %d + ix) * %d + (oc / %d) * %d;", ih, iw,
        ic, perGroup, depth);
    c.line("const int8_t *w = %s + ((oc * %d + fy) * %d + fx) * %d;", filter, kh, kw, depth);
    c.open("for (int k = 0; k < %d; ++k)", depth);
    // Each term is below 2^23 in magnitude; TFLM sums them in int64 (or int32 with an int32 bias).
    c.line(wide ? "acc += (int64_t)w[k] * ((int32_t)x[k]%s);"
        : "acc = (int32_t)((uint32_t)acc + (uint32_t)(w[k] * ((int32_t)x[k]%s)));",
        CSource.plus(inOffset));
    c.close();
    c.close();
    c.close();
    if (bias != null) {
      c.line(wide ? "acc += %s[oc];" : "acc = (int32_t)((uint32_t)acc + (uint32_t)%s[oc]);",
          bias);
    }
    String store = "out[((b * " + oh + " + oy) * " + ow + " + ox) * " + oc + " + oc]";
    if (wide) {
      c.line("const int32_t m = %s[oc];", mult);
      c.line("const int64_t reduced = m < 0x7FFF0000 ? ((m + (1 << 15)) >> 16) : 0x7FFF;");
      c.line("const int total = 15 - %s[oc];", shift);
      c.line("int32_t v = (int32_t)((acc * reduced + (INT64_C(1) << (total - 1))) >> total)%s;",
          CSource.plus(outZero));
      c.line("v = v < %d ? %d : v;", range.min(), range.min());
      c.line("%s = (int16_t)(v > %d ? %d : v);", store, range.max(), range.max());
    } else {
      c.line("%s = (int16_t)kiln_requant(acc, %s[oc], %s[oc], %d, %d, %d);", store, mult, shift,
          outZero, range.min(), range.max());
    }
    c.close();
    c.close();
    c.close();
    c.close();
    ctx.endFunction();
    return (long) in.dim(0) * oh * ow * oc * kh * kw * depth;
  }
}
