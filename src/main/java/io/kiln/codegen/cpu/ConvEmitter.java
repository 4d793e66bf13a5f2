package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.ConvRequant;

/**
 * Emits int8 Conv2D and DepthwiseConv2D layers as loops specialized to the layer (every bound
 * a constant), with bias, requantization and the activation clamp fused into the output store.
 * A Conv2D gathers each output pixel's taps into an int16 patch (padding as zeros, which adds
 * what TFLM's skipped taps add: nothing) and runs vectorizable dot products over it; a depthwise
 * layer keeps the channel loop innermost. Requantization runs as a separate loop over channels
 * so that it vectorizes too.
 */
final class ConvEmitter {
  private ConvEmitter() {}

  /** Geometry of one convolution, read from the input, filter and output shapes. */
  record Geometry(int batch, int ih, int iw, int ic, int oh, int ow, int oc, int kh,
      int kw, int sh, int sw, int dh, int dw, Op.Pads pads) {

    /** Whether some output position reads a tap outside the input (so bounds are clipped). */
    boolean clips() {
      return pads.top() > 0 || pads.left() > 0
          || (oh - 1) * sh + (kh - 1) * dh - pads.top() >= ih
          || (ow - 1) * sw + (kw - 1) * dw - pads.left() >= iw;
    }
  }

  static long conv2d(LayerContext ctx, Op.Conv2D op) {
    checkTypes(ctx, Op.Conv2D.FILTER, Op.Conv2D.BIAS);
    Shape in = ctx.in(Op.Conv2D.INPUT).shape();
    Shape f = ctx.in(Op.Conv2D.FILTER).shape();
    Shape out = ctx.out().shape();
    Geometry g = new Geometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), out.dim(1), out.dim(2),
        out.dim(3), f.dim(1), f.dim(2), op.strideH(), op.strideW(), op.dilationH(),
        op.dilationW(), op.pads());
    if (f.dim(3) != g.ic()) {
      throw ctx.unsupported("grouped filters " + f + " on input " + in);
    }
    Requant rq = Requant.declare(ctx, ConvRequant.convolution(ctx.in(Op.Conv2D.INPUT),
        ctx.in(Op.Conv2D.FILTER), ctx.out(), g.oc(), ctx.where()), op.act());
    String filter = ctx.constant(Op.Conv2D.FILTER);
    String bias = ctx.has(Op.Conv2D.BIAS) ? ctx.constant(Op.Conv2D.BIAS) : null;
    int inOffset = (int) -ctx.in(Op.Conv2D.INPUT).quant().zeroPoint();

    int k = g.kh() * g.kw() * g.ic();
    CSource c = ctx.src();
    ctx.beginFunction("conv2d", new int[] {Op.Conv2D.INPUT}, new String[] {"in"});
    c.line("/* The input patch of one output pixel, offset by the input zero point: each element");
    c.line("   is in [-255, 255], so int16 holds it, and taps in the padding are 0, which adds");
    c.line("   exactly what TFLM's skipped taps add. Stack: %d bytes with the accumulators. */",
        2 * k + 4 * g.oc());
    c.line("int16_t patch[%d];", k);
    c.line("int32_t acc[%d];", g.oc());
    openBatch(c, g);
    c.open("for (int oy = 0; oy < %d; ++oy)", g.oh());
    c.line("const int iy0 = %s%s;", CSource.times("oy", g.sh()), CSource.plus(-g.pads().top()));
    c.open("for (int ox = 0; ox < %d; ++ox)", g.ow());
    c.line("const int ix0 = %s%s;", CSource.times("ox", g.sw()), CSource.plus(-g.pads().left()));
    fillPatch(c, g, inOffset, "patch");
    c.line("/* |w * x| <= 128 * 255, so the %d terms sum to at most %d in magnitude. */", k,
        32640L * k);
    DotProducts.emit(c, "patch", k, g.oc(), filter, bias, "acc");
    c.line("int8_t *o = out + (oy * %d + ox) * %d;", g.ow(), g.oc());
    c.open("for (int oc = 0; oc < %d; ++oc)", g.oc());
    c.line("o[oc] = %s;", rq.store("acc[oc]", "oc"));
    c.close();
    c.close().close();
    closeBatch(c, g);
    ctx.endFunction();
    return (long) g.batch() * g.oh() * g.ow() * g.oc() * g.kh() * g.kw() * g.ic();
  }

  static long depthwise(LayerContext ctx, Op.DepthwiseConv2D op) {
    checkTypes(ctx, Op.DepthwiseConv2D.FILTER, Op.DepthwiseConv2D.BIAS);
    Shape in = ctx.in(Op.DepthwiseConv2D.INPUT).shape();
    Shape f = ctx.in(Op.DepthwiseConv2D.FILTER).shape();
    Shape out = ctx.out().shape();
    Geometry g = new Geometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), out.dim(1), out.dim(2),
        out.dim(3), f.dim(1), f.dim(2), op.strideH(), op.strideW(), op.dilationH(),
        op.dilationW(), op.pads());
    int m = op.depthMultiplier();
    if (g.oc() != g.ic() * m) {
      throw ctx.unsupported(g.oc() + " output channels for " + g.ic() + " input channels x "
          + m);
    }
    Requant rq = Requant.declare(ctx, ConvRequant.convolution(
        ctx.in(Op.DepthwiseConv2D.INPUT), ctx.in(Op.DepthwiseConv2D.FILTER), ctx.out(), g.oc(),
        ctx.where()), op.act());
    String filter = ctx.constant(Op.DepthwiseConv2D.FILTER);
    String bias = ctx.has(Op.DepthwiseConv2D.BIAS) ? ctx.constant(Op.DepthwiseConv2D.BIAS) : null;
    int inOffset = (int) -ctx.in(Op.DepthwiseConv2D.INPUT).quant().zeroPoint();

    CSource c = ctx.src();
    ctx.beginFunction("depthwise", new int[] {Op.DepthwiseConv2D.INPUT}, new String[] {"in"});
    c.line("/* One accumulator per channel so the channel loops are contiguous and vectorize. */");
    c.line("int32_t acc[%d];", g.oc());
    openBatch(c, g);
    c.open("for (int oy = 0; oy < %d; ++oy)", g.oh());
    rowBounds(c, "y", g.ih(), g.kh(), g.sh(), g.dh(), g.pads().top(), g.clips());
    c.open("for (int ox = 0; ox < %d; ++ox)", g.ow());
    rowBounds(c, "x", g.iw(), g.kw(), g.sw(), g.dw(), g.pads().left(), g.clips());
    c.open("for (int ch = 0; ch < %d; ++ch)", g.oc());
    c.line("acc[ch] = %s;", bias == null ? "0" : bias + "[ch]");
    c.close();
    c.open("for (int ky = ky_lo; ky < ky_hi; ++ky)");
    c.open("for (int kx = kx_lo; kx < kx_hi; ++kx)");
    c.line("const int8_t *x = in + ((iy0 + ky%s) * %d + ix0 + kx%s) * %d;", times(g.dh()), g.iw(),
        times(g.dw()), g.ic());
    c.line("const int8_t *w = %s + (ky * %d + kx) * %d;", filter, g.kw(), g.oc());
    if (m == 1) {
      c.open("for (int ch = 0; ch < %d; ++ch)", g.oc());
      c.line("acc[ch] += w[ch] * (x[ch]%s);", CSource.plus(inOffset));
      c.close();
    } else {
      c.open("for (int ic = 0; ic < %d; ++ic)", g.ic());
      c.open("for (int mm = 0; mm < %d; ++mm)", m);
      c.line("acc[ic * %d + mm] += w[ic * %d + mm] * (x[ic]%s);", m, m, CSource.plus(inOffset));
      c.close().close();
    }
    c.close().close();
    c.line("int8_t *o = out + (oy * %d + ox) * %d;", g.ow(), g.oc());
    c.open("for (int ch = 0; ch < %d; ++ch)", g.oc());
    c.line("o[ch] = %s;", rq.store("acc[ch]", "ch"));
    c.close();
    c.close().close();
    closeBatch(c, g);
    ctx.endFunction();
    return (long) g.batch() * g.oh() * g.ow() * g.oc() * g.kh() * g.kw();
  }

  /** Copies the taps of one output pixel into {@code patch} as int16 with the input offset. */
  static void fillPatch(CSource c, Geometry g, int inOffset, String patch) {
    fillPatch(c, g, inOffset, patch, 1);
  }

  /**
   * {@link #fillPatch(CSource, Geometry, int, String)} writing element i at
   * {@code patch[i * stride]}, so that patches of several pixels can interleave.
   */
  static void fillPatch(CSource c, Geometry g, int inOffset, String patch, int stride) {
    int row = g.kw() * g.ic();
    c.open("for (int ky = 0; ky < %d; ++ky)", g.kh());
    c.line("const int iy = iy0%s;", g.dh() == 1 ? " + ky" : " + ky * " + g.dh());
    c.line("int16_t *p = %s + ky * %d;", patch, row * stride);
    if (g.clips()) {
      c.open("if (iy < 0 || iy >= %d)", g.ih());
      zeros(c, row, stride);
      c.line("continue;");
      c.close();
    }
    if (g.dw() == 1 && !g.clips()) {
      c.line("const int8_t *x = in + (iy * %d + ix0) * %d;", g.iw(), g.ic());
      copy(c, row, inOffset, stride);
    } else {
      int step = g.ic() * stride;
      c.open("for (int kx = 0; kx < %d; ++kx%s)", g.kw(), step == 1 ? ", ++p" : ", p += " + step);
      c.line("const int ix = ix0%s;", g.dw() == 1 ? " + kx" : " + kx * " + g.dw());
      if (g.clips()) {
        c.open("if (ix < 0 || ix >= %d)", g.iw());
        zeros(c, g.ic(), stride);
        c.line("continue;");
        c.close();
      }
      c.line("const int8_t *x = in + %s;", CSource.times("(iy * " + g.iw() + " + ix)", g.ic()));
      copy(c, g.ic(), inOffset, stride);
      c.close();
    }
    c.close();
  }

  private static String at(String i, int stride) {
    return stride == 1 ? i : i.equals("0") ? "0" : i + " * " + stride;
  }

  private static void zeros(CSource c, int n, int stride) {
    if (n == 1) {
      c.line("p[0] = 0;");
    } else {
      c.open("for (int i = 0; i < %d; ++i)", n);
      c.line("p[%s] = 0;", at("i", stride));
      c.close();
    }
  }

  private static void copy(CSource c, int n, int inOffset, int stride) {
    if (n == 1) {
      c.line("p[0] = (int16_t)(x[0]%s);", CSource.plus(inOffset));
    } else {
      c.open("for (int i = 0; i < %d; ++i)", n);
      c.line("p[%s] = (int16_t)(x[i]%s);", at("i", stride), CSource.plus(inOffset));
      c.close();
    }
  }

  static void checkTypes(LayerContext ctx, int filterSlot, int biasSlot) {
    ctx.requireType(0, DType.INT8);
    ctx.requireType(filterSlot, DType.INT8);
    ctx.requireOutType(DType.INT8);
    if (ctx.has(biasSlot)) {
      ctx.requireType(biasSlot, DType.INT32);
    }
    TensorType f = ctx.in(filterSlot);
    for (int ch = 0; ch < channels(f.quant()); ch++) {
      if (f.quant().zeroPointAt(ch) != 0) {
        throw ctx.unsupported("an asymmetric filter (zero point " + f.quant().zeroPointAt(ch)
            + ")");
      }
    }
  }

  private static int channels(Quantization q) {
    return q instanceof Quantization.PerAxis p ? p.channels() : 1;
  }

  /** Declares the input origin of one output row/column and the valid tap range. */
  static void rowBounds(CSource c, String axis, int inSize, int k, int stride,
      int dilation, int pad, boolean clips) {
    String o = "o" + axis;
    String i0 = "i" + axis + "0";
    String lo = "k" + axis + "_lo";
    String hi = "k" + axis + "_hi";
    c.line("const int %s = %s%s;", i0, CSource.times(o, stride), CSource.plus(-pad));
    if (!clips) {
      c.line("const int %s = 0, %s = %d;", lo, hi, k);
    } else if (dilation == 1) {
      c.line("const int %s = %s < 0 ? -%s : 0;", lo, i0, i0);
      c.line("const int %s = %d - %s < %d ? %d - %s : %d;", hi, inSize, i0, k, inSize, i0, k);
    } else {
      // First tap at or after the input start; last tap before its end (ceil divisions).
      c.line("const int %s = %s < 0 ? (-%s + %d) / %d : 0;", lo, i0, i0, dilation - 1, dilation);
      c.line("const int %s_end = (%d - %s + %d) / %d;", hi, inSize, i0, dilation - 1, dilation);
      c.line("const int %s = %s_end < %d ? %s_end : %d;", hi, hi, k, hi, k);
    }
  }

  static void openBatch(CSource c, Geometry g) {
    if (g.batch() > 1) {
      c.open("for (int b = 0; b < %d; ++b, in += %d, out += %d)", g.batch(),
          g.ih() * g.iw() * g.ic(), g.oh() * g.ow() * g.oc());
    }
  }

  static void closeBatch(CSource c, Geometry g) {
    if (g.batch() > 1) {
      c.close();
    }
  }

  static String times(int d) {
    return d == 1 ? "" : " * " + d;
  }
}
