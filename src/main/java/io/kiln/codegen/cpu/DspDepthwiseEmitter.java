package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.ConvRequant;

/**
 * Emits an int8 DepthwiseConv2D layer (depth multiplier 1) for the Arm DSP extension: four
 * channels at a time with their accumulators in registers. Per tap, one 32-bit load brings four
 * input channels, SXTAB16 sign-extends them and adds the input offset in the same instruction,
 * and SMLABB/SMLATT multiply-accumulate each channel. The weights are reordered at compile time
 * into exactly that order, already widened to int16 pairs, so one doubleword load per tap brings
 * the four channels' weights (depthwise filters are small: this costs a few hundred bytes).
 * Channels past the last multiple of four run the portable per-channel loop.
 */
final class DspDepthwiseEmitter {
  private DspDepthwiseEmitter() {}

  /** Why this kernel cannot take the layer, or null when it can. */
  static String rejects(LayerContext ctx, Op.DepthwiseConv2D op) {
    int channels = ctx.out().shape().dim(3);
    if (op.depthMultiplier() != 1) {
      return "depth multiplier " + op.depthMultiplier();
    }
    if (channels < 4) {
      return channels + " channels (fewer than one group of 4)";
    }
    return null;
  }

  static long depthwise(LayerContext ctx, Op.DepthwiseConv2D op) {
    ConvEmitter.checkTypes(ctx, Op.DepthwiseConv2D.FILTER, Op.DepthwiseConv2D.BIAS);
    Shape in = ctx.in(Op.DepthwiseConv2D.INPUT).shape();
    Shape f = ctx.in(Op.DepthwiseConv2D.FILTER).shape();
    Shape out = ctx.out().shape();
    ConvEmitter.Geometry g = new ConvEmitter.Geometry(in.dim(0), in.dim(1), in.dim(2),
        in.dim(3), out.dim(1), out.dim(2), out.dim(3), f.dim(1), f.dim(2), op.strideH(),
        op.strideW(), op.dilationH(), op.dilationW(), op.pads());
    if (g.oc() != g.ic()) {
      throw ctx.unsupported(g.oc() + " output channels for " + g.ic() + " input channels");
    }
    int ch = g.oc();
    int taps = g.kh() * g.kw();
    int groups = ch / 4;
    int offset = (int) -ctx.in(Op.DepthwiseConv2D.INPUT).quant().zeroPoint();
    int[] w = ctx.constantInts(Op.DepthwiseConv2D.FILTER);
    int[] b = ctx.has(Op.DepthwiseConv2D.BIAS) ? ctx.constantInts(Op.DepthwiseConv2D.BIAS)
        : new int[ch];
    // Per tap and group: the words (w0 | w2 << 16) and (w1 | w3 << 16), as SXTAB16 pairs the
    // input channels (x0, x2) and (x1, x3).
    int[] packed = new int[taps * groups * 2];
    for (int t = 0; t < taps; t++) {
      for (int q = 0; q < groups; q++) {
        int base = t * ch + 4 * q;
        packed[(t * groups + q) * 2] = (w[base] & 0xffff) | (w[base + 2] << 16);
        packed[(t * groups + q) * 2 + 1] = (w[base + 1] & 0xffff) | (w[base + 3] << 16);
      }
    }
    long maxX = Math.max(Math.abs(-128 + offset), Math.abs(127 + offset));
    long[] bound = new long[ch];
    for (int c = 0; c < ch; c++) {
      long abs = 0;
      for (int t = 0; t < taps; t++) {
        abs += Math.abs(w[t * ch + c]);
      }
      bound[c] = Math.abs((long) b[c]) + abs * maxX;
    }
    DspRequant rq = DspRequant.declare(ctx, ConvRequant.convolution(
        ctx.in(Op.DepthwiseConv2D.INPUT), ctx.in(Op.DepthwiseConv2D.FILTER), ctx.out(), ch,
        ctx.where()), op.act(), bound);
    String wp = ctx.weights().derive(ctx.name("w"), "int32_t", packed, "layer " + ctx.index()
        + ": depthwise weights per tap and group of 4 channels as int16 pairs (w0, w2), (w1, w3)");
    String bias = ctx.has(Op.DepthwiseConv2D.BIAS) ? ctx.constant(Op.DepthwiseConv2D.BIAS)
        : null;
    String filter = groups * 4 < ch ? ctx.constant(Op.DepthwiseConv2D.FILTER) : null;
    ctx.kernel("dsp-depthwise", g.kh() + "x" + g.kw() + " depthwise, " + ch + " channels: "
        + groups + " groups of 4 in registers" + (groups * 4 < ch ? ", " + (ch - groups * 4)
        + " channels portable" : "") + ", weights reordered as int16 pairs; " + rq.why());

    CSource c = ctx.src();
    long max = 0;
    for (long x : bound) {
      max = Math.max(max, x);
    }
    // One output pixel, all channels, taps [ky_lo, ky_hi) x [kx_lo, kx_hi): inlined at each
    // call with the bounds the call knows, so interior pixels get straight-line taps.
    String px = ctx.name("pixel");
    c.line("/* Layer %d at one output pixel. |acc| <= |bias| + sum |w * (x + offset)| <= %d"
        + " < 2^31. */", ctx.index(), max);
    c.open("static inline __attribute__((always_inline)) void %s(const int8_t *restrict in,"
        + " int8_t *restrict o, int iy0, int ix0, int ky_lo, int ky_hi, int kx_lo, int kx_hi)",
        px);
    c.line("/* The input offset %d in both halves of a word, for SXTAB16. */", offset);
    c.line("const int32_t off2 = %s;", CSource.intLiteral((offset & 0xffff) | (offset << 16)));
    c.open("for (int q = 0; q < %d; ++q)", groups);
    c.line("const int c0 = 4 * q;");
    if (bias == null) {
      c.line("int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;");
    } else {
      c.line("int32_t a0 = %s[c0], a1 = %s[c0 + 1], a2 = %s[c0 + 2], a3 = %s[c0 + 3];", bias,
          bias, bias, bias);
    }
    c.line("#pragma GCC unroll %d", g.kh());
    c.open("for (int ky = ky_lo; ky < ky_hi; ++ky)");
    c.line("const int8_t *x = in + ((iy0 + ky%s) * %d + ix0) * %d + c0;",
        ConvEmitter.times(g.dh()), g.iw(), ch);
    c.line("const int32_t *w = %s + (ky * %d * %d + q) * 2;", wp, g.kw(), groups);
    c.line("#pragma GCC unroll %d", g.kw());
    c.open("for (int kx = kx_lo; kx < kx_hi; ++kx)");
    c.line("const uint32_t v = kiln_dsp_ld32(x + kx * %d);", g.dw() * ch);
    c.line("const int32_t e = __sxtab16(off2, v), d = __sxtab16(off2, kiln_dsp_ror8(v));");
    c.line("const int32_t we = w[kx * %d], wd = w[kx * %d + 1];", 2 * groups, 2 * groups);
    c.line("a0 = __smlabb(e, we, a0);");
    c.line("a2 = __smlatt(e, we, a2);");
    c.line("a1 = __smlabb(d, wd, a1);");
    c.line("a3 = __smlatt(d, wd, a3);");
    c.close().close();
    c.line("o[c0] = %s;", rq.store("a0", "c0"));
    c.line("o[c0 + 1] = %s;", rq.store("a1", "c0 + 1"));
    c.line("o[c0 + 2] = %s;", rq.store("a2", "c0 + 2"));
    c.line("o[c0 + 3] = %s;", rq.store("a3", "c0 + 3"));
    c.close();
    if (filter != null) {
      c.open("for (int c0 = %d; c0 < %d; ++c0)", groups * 4, ch);
      c.line("int32_t a = %s;", bias == null ? "0" : bias + "[c0]");
      c.open("for (int ky = ky_lo; ky < ky_hi; ++ky)");
      c.open("for (int kx = kx_lo; kx < kx_hi; ++kx)");
      c.line("a += %s[(ky * %d + kx) * %d + c0] * (in[((iy0 + ky%s) * %d + ix0 + kx%s) * %d + c0]"
          + "%s);", filter, g.kw(), ch, ConvEmitter.times(g.dh()), g.iw(),
          ConvEmitter.times(g.dw()), ch, CSource.plus(offset));
      c.close().close();
      c.line("o[c0] = %s;", rq.store("a", "c0"));
      c.close();
    }
    c.close().blank();

    ctx.beginFunction("depthwise", new int[] {Op.DepthwiseConv2D.INPUT}, new String[] {"in"});
    c.line("/* dsp-depthwise: rows whose taps are all inside the input get constant tap bounds,");
    c.line("   and so do the columns between the padded ones. */");
    ConvEmitter.openBatch(c, g);
    c.open("for (int oy = 0; oy < %d; ++oy)", g.oh());
    ConvEmitter.rowBounds(c, "y", g.ih(), g.kh(), g.sh(), g.dh(), g.pads().top(), g.clips());
    c.line("int8_t *orow = out + oy * %d;", g.ow() * ch);
    if (g.clips()) {
      c.open("if (ky_lo == 0 && ky_hi == %d)", g.kh());
      columns(c, g, px, "0", Integer.toString(g.kh()));
      c.close();
      c.open("else");
      columns(c, g, px, "ky_lo", "ky_hi");
      c.close();
    } else {
      columns(c, g, px, "ky_lo", "ky_hi");
    }
    c.close();
    ConvEmitter.closeBatch(c, g);
    ctx.endFunction();
    return (long) g.batch() * g.oh() * g.ow() * ch * taps;
  }

  /**
   * The pixel calls of one output row: each padded column on its own with its constant tap
   * range, the columns in between in one loop with the full range.
   */
  static void columns(CSource c, ConvEmitter.Geometry g, String px, String kyLo,
      String kyHi) {
    int first = -1;
    int last = -1;
    for (int ox = 0; ox < g.ow(); ox++) {
      int ix0 = ox * g.sw() - g.pads().left();
      if (ix0 >= 0 && ix0 + (g.kw() - 1) * g.dw() < g.iw()) {
        first = first < 0 ? ox : first;
        last = ox;
      }
    }
    for (int ox = 0; ox < g.ow(); ox++) {
      int ix0 = ox * g.sw() - g.pads().left();
      if (first >= 0 && ox == first) {
        c.open("for (int ox = %d; ox <= %d; ++ox)", first, last);
        c.line("%s(in, orow + ox * %d, iy0, ox * %d - %d, %s, %s, 0, %d);", px, g.oc(), g.sw(),
            g.pads().left(), kyLo, kyHi, g.kw());
        c.close();
        ox = last;
        continue;
      }
      // First tap at or after the input start, last tap before its end.
      int lo = ix0 < 0 ? (-ix0 + g.dw() - 1) / g.dw() : 0;
      int hi = Math.min(g.kw(), (g.iw() - ix0 + g.dw() - 1) / g.dw());
      c.line("%s(in, orow + %d, iy0, %d, %s, %s, %d, %d);", px, ox * g.oc(), ix0, kyLo, kyHi, lo,
          Math.max(lo, hi));
    }
  }
}
