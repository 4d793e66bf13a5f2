package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.ActivationRange;

/**
 * Emits int8 AveragePool2D and MaxPool2D like TFLM's reference kernels: windows clipped to the
 * input, the average rounded half away from zero over the clipped count, then the clamp.
 */
final class PoolEmitter {
  private PoolEmitter() {}

  static long average(LayerContext ctx, Op.AveragePool2D op) {
    emit(ctx, true, op.filterH(), op.filterW(), op.strideH(), op.strideW(), op.pads(), op.act());
    return 0;
  }

  static long max(LayerContext ctx, Op.MaxPool2D op) {
    emit(ctx, false, op.filterH(), op.filterW(), op.strideH(), op.strideW(), op.pads(), op.act());
    return 0;
  }

  private static void emit(LayerContext ctx, boolean average, int fh, int fw, int sh, int sw,
      Op.Pads pads, Op.Activation act) {
    ctx.requireType(0, DType.INT8);
    ctx.requireOutType(DType.INT8);
    Shape in = ctx.in(0).shape();
    Shape out = ctx.out().shape();
    int batch = in.dim(0);
    int ih = in.dim(1);
    int iw = in.dim(2);
    int ch = in.dim(3);
    int oh = out.dim(1);
    int ow = out.dim(2);
    checkWindowsNonEmpty(ctx, oh, sh, pads.top(), fh, ih);
    checkWindowsNonEmpty(ctx, ow, sw, pads.left(), fw, iw);
    ActivationRange r = ActivationRange.quantized(act, ctx.out(), ctx.where());

    CSource c = ctx.src();
    ctx.beginFunction(average ? "average_pool" : "max_pool", new int[] {0}, new String[] {"in"});
    c.line("int32_t acc[%d];", ch);
    if (batch > 1) {
      c.open("for (int b = 0; b < %d; ++b, in += %d, out += %d)", batch, ih * iw * ch,
          oh * ow * ch);
    }
    c.open("for (int oy = 0; oy < %d; ++oy)", oh);
    c.line("const int iy0 = %s%s;", CSource.times("oy", sh), CSource.plus(-pads.top()));
    c.line("const int fy_lo = iy0 < 0 ? -iy0 : 0;");
    c.line("const int fy_hi = %d - iy0 < %d ? %d - iy0 : %d;", ih, fh, ih, fh);
    c.open("for (int ox = 0; ox < %d; ++ox)", ow);
    c.line("const int ix0 = %s%s;", CSource.times("ox", sw), CSource.plus(-pads.left()));
    c.line("const int fx_lo = ix0 < 0 ? -ix0 : 0;");
    c.line("const int fx_hi = %d - ix0 < %d ? %d - ix0 : %d;", iw, fw, iw, fw);
    c.open("for (int ch = 0; ch < %d; ++ch)", ch);
    c.line("acc[ch] = %s;", average ? "0" : "INT8_MIN");
    c.close();
    c.open("for (int fy = fy_lo; fy < fy_hi; ++fy)");
    c.open("for (int fx = fx_lo; fx < fx_hi; ++fx)");
    c.line("const int8_t *x = in + ((iy0 + fy) * %d + ix0 + fx) * %d;", iw, ch);
    c.open("for (int ch = 0; ch < %d; ++ch)", ch);
    c.line(average ? "acc[ch] += x[ch];" : "acc[ch] = x[ch] > acc[ch] ? x[ch] : acc[ch];");
    c.close().close().close();
    c.line("int8_t *o = out + (oy * %d + ox) * %d;", ow, ch);
    if (average) {
      c.line("/* Every window holds at least one input (checked at compile time). */");
      c.line("const int32_t count = (fy_hi - fy_lo) * (fx_hi - fx_lo);");
    }
    c.open("for (int ch = 0; ch < %d; ++ch)", ch);
    if (average) {
      c.line("/* Rounds half away from zero; C division truncates toward zero. */");
      c.line("int32_t v = acc[ch] > 0 ? (acc[ch] + count / 2) / count"
          + " : (acc[ch] - count / 2) / count;");
    } else {
      c.line("int32_t v = acc[ch];");
    }
    c.line("v = v < %d ? %d : v;", r.min(), r.min());
    c.line("o[ch] = (int8_t)(v > %d ? %d : v);", r.max(), r.max());
    c.close().close().close();
    if (batch > 1) {
      c.close();
    }
    ctx.endFunction();
  }

  /** TFLM fails at run time on an empty window; Kiln rejects such a layer up front. */
  static void checkWindowsNonEmpty(LayerContext ctx, int outSize, int stride, int pad,
      int filter, int inSize) {
    for (int o = 0; o < outSize; o++) {
      int origin = o * stride - pad;
      int lo = Math.max(0, -origin);
      int hi = Math.min(filter, inSize - origin);
      if (hi <= lo) {
        throw new KilnException("pooling window " + o + " of operator " + ctx.index()
            + " lies entirely in the padding");
      }
    }
  }
}
