package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.ActivationRange;

/**
 * Emits float32 Conv2D and DepthwiseConv2D layers in the interpreter's (and TFLM's reference)
 * order: for each output element the taps summed in float from the first filter row to the last,
 * taps in the padding skipped, then the bias, then the activation clamp. gcc in {@code -std=c99}
 * mode neither contracts multiply-adds nor reassociates, so on IEEE hardware each output equals
 * the interpreter's bit for bit.
 */
final class FloatConvEmitter {
  private FloatConvEmitter() {}

  static long conv2d(LayerContext ctx, Op.Conv2D op) {
    checkTypes(ctx, Op.Conv2D.FILTER, Op.Conv2D.BIAS);
    Shape in = ctx.in(Op.Conv2D.INPUT).shape();
    Shape f = ctx.in(Op.Conv2D.FILTER).shape();
    ConvEmitter.Geometry g = geometry(in, f, ctx.out().shape(), op.strideH(), op.strideW(),
        op.dilationH(), op.dilationW(), op.pads());
    if (f.dim(3) != g.ic()) {
      throw ctx.unsupported("grouped filters " + f + " on input " + in);
    }
    String filter = ctx.constant(Op.Conv2D.FILTER);
    String bias = ctx.has(Op.Conv2D.BIAS) ? ctx.constant(Op.Conv2D.BIAS) : null;
    CSource c = ctx.src();
    ctx.beginFunction("conv2d_f32", new int[] {Op.Conv2D.INPUT}, new String[] {"in"});
    openPixel(c, g);
    c.open("for (int oc = 0; oc < %d; ++oc)", g.oc());
    c.line("float total = 0.0f;");
    openTaps(c, g);
    c.line("const float *x = in + ((b * %d + iy) * %d + ix) * %d;", g.ih(), g.iw(), g.ic());
    c.line("const float *w = %s + ((oc * %d + ky) * %d + kx) * %d;", filter, g.kh(), g.kw(),
        g.ic());
    c.open("for (int ic = 0; ic < %d; ++ic)", g.ic());
    c.line("total += x[ic] * w[ic];");
    c.close();
    closeTaps(c);
    store(c, ctx, op.act(), bias, "oc", "((b * %d + oy) * %d + ox) * %d + oc".formatted(g.oh(),
        g.ow(), g.oc()));
    c.close();
    closePixel(c);
    ctx.endFunction();
    return (long) g.batch() * g.oh() * g.ow() * g.oc() * g.kh() * g.kw() * g.ic();
  }

  static long depthwise(LayerContext ctx, Op.DepthwiseConv2D op) {
    checkTypes(ctx, Op.DepthwiseConv2D.FILTER, Op.DepthwiseConv2D.BIAS);
    Shape in = ctx.in(Op.DepthwiseConv2D.INPUT).shape();
    Shape f = ctx.in(Op.DepthwiseConv2D.FILTER).shape();
    ConvEmitter.Geometry g = geometry(in, f, ctx.out().shape(), op.strideH(), op.strideW(),
        op.dilationH(), op.dilationW(), op.pads());
    int m = op.depthMultiplier();
    if (g.oc() != g.ic() * m) {
      throw ctx.unsupported(g.oc() + " output channels for " + g.ic() + " input channels x "
          + m);
    }
    String filter = ctx.constant(Op.DepthwiseConv2D.FILTER);
    String bias = ctx.has(Op.DepthwiseConv2D.BIAS) ? ctx.constant(Op.DepthwiseConv2D.BIAS)
        : null;
    CSource c = ctx.src();
    ctx.beginFunction("depthwise_f32", new int[] {Op.DepthwiseConv2D.INPUT},
        new String[] {"in"});
    openPixel(c, g);
    c.open("for (int oc = 0; oc < %d; ++oc)", g.oc());
    c.line("const int ic = oc / %d;", m);
    c.line("float total = 0.0f;");
    openTaps(c, g);
    c.line("total += in[((b * %d + iy) * %d + ix) * %d + ic] * %s[(ky * %d + kx) * %d + oc];",
        g.ih(), g.iw(), g.ic(), filter, g.kw(), g.oc());
    closeTaps(c);
    store(c, ctx, op.act(), bias, "oc", "((b * %d + oy) * %d + ox) * %d + oc".formatted(g.oh(),
        g.ow(), g.oc()));
    c.close();
    closePixel(c);
    ctx.endFunction();
    return (long) g.batch() * g.oh() * g.ow() * g.oc() * g.kh() * g.kw();
  }

  private static ConvEmitter.Geometry geometry(Shape in, Shape f, Shape out, int sh, int sw,
      int dh, int dw, Op.Pads pads) {
    return new ConvEmitter.Geometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), out.dim(1),
        out.dim(2), out.dim(3), f.dim(1), f.dim(2), sh, sw, dh, dw, pads);
  }

  private static void checkTypes(LayerContext ctx, int filterSlot, int biasSlot) {
    ctx.requireType(0, DType.FLOAT32);
    ctx.requireType(filterSlot, DType.FLOAT32);
    ctx.requireOutType(DType.FLOAT32);
    if (ctx.has(biasSlot)) {
      ctx.requireType(biasSlot, DType.FLOAT32);
    }
  }

  /** Opens the batch, output row and output column loops with each window's origin. */
  private static void openPixel(CSource c, ConvEmitter.Geometry g) {
    c.open("for (int b = 0; b < %d; ++b)", g.batch());
    c.open("for (int oy = 0; oy < %d; ++oy)", g.oh());
    c.line("const int iy0 = %s%s;", CSource.times("oy", g.sh()), CSource.plus(-g.pads().top()));
    c.open("for (int ox = 0; ox < %d; ++ox)", g.ow());
    c.line("const int ix0 = %s%s;", CSource.times("ox", g.sw()), CSource.plus(-g.pads().left()));
  }

  private static void closePixel(CSource c) {
    c.close().close().close();
  }

  /** Opens the filter row and column loops; taps outside the input are skipped, as in TFLM. */
  private static void openTaps(CSource c, ConvEmitter.Geometry g) {
    c.open("for (int ky = 0; ky < %d; ++ky)", g.kh());
    c.line("const int iy = iy0%s;", g.dh() == 1 ? " + ky" : " + ky * " + g.dh());
    c.open("for (int kx = 0; kx < %d; ++kx)", g.kw());
    c.line("const int ix = ix0%s;", g.dw() == 1 ? " + kx" : " + kx * " + g.dw());
    if (g.clips()) {
      c.open("if (iy < 0 || iy >= %d || ix < 0 || ix >= %d)", g.ih(), g.iw());
      c.line("continue;");
      c.close();
    }
  }

  private static void closeTaps(CSource c) {
    c.close().close();
  }

  /** Adds the bias and stores through TFLite's {@code std::min(std::max(v, lo), hi)}. */
  static void store(CSource c, LayerContext ctx, Op.Activation act, String bias, String channel,
      String index) {
    ActivationRange.Floats range = ActivationRange.Floats.of(act, ctx.where());
    c.line("float v = total + %s;", bias == null ? "0.0f" : bias + "[" + channel + "]");
    clamp(c, range, "v", "out[" + index + "]");
  }

  /** {@code dst = clamp(v)}, spelled so that -0.0 and NaN pass through as in TFLM. */
  static void clamp(CSource c, ActivationRange.Floats range, String v, String dst) {
    String lo = CSource.floatLiteral(range.min());
    String hi = CSource.floatLiteral(range.max());
    c.line("%s = %s < %s ? %s : %s;", v, v, lo, lo, v);
    c.line("%s = %s < %s ? %s : %s;", dst, hi, v, hi, v);
  }
}
