package io.kiln.codegen;

import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;

/**
 * Emits int8 Conv2D and DepthwiseConv2D layers as loops specialized to the layer (every bound
 * a constant), with bias, requantization and the activation clamp fused into the output store.
 * Taps that fall into the padding are skipped, exactly as TFLM's reference kernels skip them.
 */
final class ConvEmitter {
  private ConvEmitter() {}

  /** Geometry of one convolution, read from the input, filter and output shapes. */
  private record Geometry(int batch, int ih, int iw, int ic, int oh, int ow, int oc, int kh,
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
    Requant rq = Requant.declare(ctx, QuantParams.convolution(ctx.in(Op.Conv2D.INPUT),
        ctx.in(Op.Conv2D.FILTER), ctx.out(), g.oc()), op.act());
    String filter = ctx.constant(Op.Conv2D.FILTER);
    String bias = ctx.has(Op.Conv2D.BIAS) ? ctx.constant(Op.Conv2D.BIAS) : null;
    int inOffset = (int) -ctx.in(Op.Conv2D.INPUT).quant().zeroPoint();

    CSource c = ctx.src();
    ctx.beginFunction("conv2d", new int[] {Op.Conv2D.INPUT}, new String[] {"in"});
    openBatch(c, g);
    c.open("for (int oy = 0; oy < %d; ++oy)", g.oh());
    rowBounds(c, "y", g.ih(), g.kh(), g.sh(), g.dh(), g.pads().top(), g.clips());
    c.open("for (int ox = 0; ox < %d; ++ox)", g.ow());
    rowBounds(c, "x", g.iw(), g.kw(), g.sw(), g.dw(), g.pads().left(), g.clips());
    c.line("int8_t *o = out + (oy * %d + ox) * %d;", g.ow(), g.oc());
    c.open("for (int oc = 0; oc < %d; ++oc)", g.oc());
    c.line("/* Bias first: int32 addition is exact here, so the order does not change the sum. */");
    c.line("int32_t acc = %s;", bias == null ? "0" : bias + "[oc]");
    c.open("for (int ky = ky_lo; ky < ky_hi; ++ky)");
    if (g.dw() == 1) {
      // With unit dilation the taps of one filter row are contiguous in both input and filter.
      c.line("const int8_t *x = in + ((iy0 + ky%s) * %d + ix0 + kx_lo) * %d;", times(g.dh()),
          g.iw(), g.ic());
      c.line("const int8_t *w = %s + ((oc * %d + ky) * %d + kx_lo) * %d;", filter, g.kh(), g.kw(),
          g.ic());
      c.line("const int n = (kx_hi - kx_lo) * %d;", g.ic());
      c.open("for (int i = 0; i < n; ++i)");
      c.line("acc += w[i] * (x[i]%s);", CSource.plus(inOffset));
      c.close();
    } else {
      c.open("for (int kx = kx_lo; kx < kx_hi; ++kx)");
      c.line("const int8_t *x = in + ((iy0 + ky%s) * %d + ix0 + kx%s) * %d;", times(g.dh()),
          g.iw(), times(g.dw()), g.ic());
      c.line("const int8_t *w = %s + ((oc * %d + ky) * %d + kx) * %d;", filter, g.kh(), g.kw(),
          g.ic());
      c.open("for (int ic = 0; ic < %d; ++ic)", g.ic());
      c.line("acc += w[ic] * (x[ic]%s);", CSource.plus(inOffset));
      c.close();
      c.close();
    }
    c.close();
    c.line("o[oc] = %s;", rq.store("acc", "oc"));
    c.close().close().close();
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
    Requant rq = Requant.declare(ctx, QuantParams.convolution(
        ctx.in(Op.DepthwiseConv2D.INPUT), ctx.in(Op.DepthwiseConv2D.FILTER), ctx.out(), g.oc()),
        op.act());
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

  private static void checkTypes(LayerContext ctx, int filterSlot, int biasSlot) {
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
  private static void rowBounds(CSource c, String axis, int inSize, int k, int stride,
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

  private static void openBatch(CSource c, Geometry g) {
    if (g.batch() > 1) {
      c.open("for (int b = 0; b < %d; ++b, in += %d, out += %d)", g.batch(),
          g.ih() * g.iw() * g.ic(), g.oh() * g.ow() * g.oc());
    }
  }

  private static void closeBatch(CSource c, Geometry g) {
    if (g.batch() > 1) {
      c.close();
    }
  }

  private static String times(int d) {
    return d == 1 ? "" : " * " + d;
  }
}
