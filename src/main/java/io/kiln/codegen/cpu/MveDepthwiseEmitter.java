package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.ConvRequant;

/**
 * Emits an int8 DepthwiseConv2D layer (depth multiplier 1, channels a multiple of 8) for Helium:
 * eight channels per tap in one widening load to int16, the input offset added in int16, the
 * products split into even and odd channels by VMULLB/VMULLT into two int32x4 accumulators, and
 * the requantization vectorized four lanes at a time ({@code kiln_mve_requant_store4}). The
 * weights are widened to int16 at compile time; bias and requantization constants are laid out
 * per group of eight channels in the accumulators' even/odd lane order. Tap bounds are those of
 * {@link DspDepthwiseEmitter}: constant for rows and columns inside the input.
 */
final class MveDepthwiseEmitter {
  private MveDepthwiseEmitter() {}

  /** Words per group of eight channels: bias even/odd, then even and odd lanes' constants. */
  private static final int GROUP_WORDS = 40;

  /** Why this kernel cannot take the layer, or null when it can. */
  static String rejects(LayerContext ctx, Op.DepthwiseConv2D op) {
    int channels = ctx.out().shape().dim(3);
    if (op.depthMultiplier() != 1) {
      return "depth multiplier " + op.depthMultiplier();
    }
    if (channels % 8 != 0) {
      return channels + " channels (not a multiple of 8)";
    }
    return null;
  }

  /**
   * Emits the layer and returns its MACs, or -1 (emitting nothing) when its requantization needs
   * the portable path, which has no vector form.
   */
  static long depthwise(LayerContext ctx, Op.DepthwiseConv2D op) {
    ConvEmitter.checkTypes(ctx, Op.DepthwiseConv2D.FILTER, Op.DepthwiseConv2D.BIAS);
    Shape in = ctx.in(Op.DepthwiseConv2D.INPUT).shape();
    Shape f = ctx.in(Op.DepthwiseConv2D.FILTER).shape();
    Shape out = ctx.out().shape();
    ConvEmitter.Geometry g = new ConvEmitter.Geometry(in.dim(0), in.dim(1), in.dim(2),
        in.dim(3), out.dim(1), out.dim(2), out.dim(3), f.dim(1), f.dim(2), op.strideH(),
        op.strideW(), op.dilationH(), op.dilationW(), op.pads());
    int ch = g.oc();
    int taps = g.kh() * g.kw();
    int offset = (int) -ctx.in(Op.DepthwiseConv2D.INPUT).quant().zeroPoint();
    int[] w = ctx.constantInts(Op.DepthwiseConv2D.FILTER);
    int[] b = ctx.has(Op.DepthwiseConv2D.BIAS) ? ctx.constantInts(Op.DepthwiseConv2D.BIAS)
        : new int[ch];
    long maxX = Math.max(Math.abs(-128 + offset), Math.abs(127 + offset));
    long[] bound = new long[ch];
    long max = 0;
    for (int c = 0; c < ch; c++) {
      long abs = 0;
      for (int t = 0; t < taps; t++) {
        abs += Math.abs(w[t * ch + c]);
      }
      bound[c] = Math.abs((long) b[c]) + abs * maxX;
      max = Math.max(max, bound[c]);
    }
    DspRequant.Lanes rq = DspRequant.lanes(ctx, ConvRequant.convolution(
        ctx.in(Op.DepthwiseConv2D.INPUT), ctx.in(Op.DepthwiseConv2D.FILTER), ctx.out(), ch,
        ctx.where()), op.act(), bound, ch);
    if (rq.problem() != null) {
      return -1;
    }
    int groups = ch / 8;
    int[] table = new int[groups * GROUP_WORDS];
    for (int q = 0; q < groups; q++) {
      for (int parity = 0; parity < 2; parity++) {
        for (int lane = 0; lane < 4; lane++) {
          int c = 8 * q + 2 * lane + parity;
          int base = q * GROUP_WORDS;
          table[base + 4 * parity + lane] = b[c];
          int consts = base + 8 + 16 * parity;
          table[consts + lane] = rq.mult()[c];
          table[consts + 4 + lane] = rq.add()[c];
          table[consts + 8 + lane] = -rq.right()[c];
          table[consts + 12 + lane] = rq.left()[c];
        }
      }
    }
    String tn = ctx.weights().derive(ctx.name("t"), "int32_t", table, "layer " + ctx.index()
        + ": per group of 8 channels, bias of the even and odd channels, then for each their"
        + " multiplier, nudge + zero point << right, -right, left");
    String wn = ctx.weights().derive(ctx.name("w"), "int16_t", w, "layer " + ctx.index()
        + ": depthwise weights widened to int16, [tap][channel]");
    ctx.kernel("mve-depthwise", g.kh() + "x" + g.kw() + " depthwise, " + ch + " channels: "
        + groups + " groups of 8, VMULLB/VMULLT into even/odd int32x4 accumulators, vector "
        + rq.bounds().replace("SMLAL", "VQRDMULH"));

    CSource c = ctx.src();
    String px = ctx.name("pixel");
    c.line("/* Layer %d at one output pixel. |acc| <= |bias| + sum |w * (x + offset)| <= %d"
        + " < 2^31. */", ctx.index(), max);
    c.open("static inline __attribute__((always_inline)) void %s(const int8_t *restrict in,"
        + " int8_t *restrict o, int iy0, int ix0, int ky_lo, int ky_hi, int kx_lo, int kx_hi)",
        px);
    c.open("for (int q = 0; q < %d; ++q)", groups);
    c.line("const int32_t *t = %s + q * %d;", tn, GROUP_WORDS);
    c.line("int32x4_t ae = vldrwq_s32(t), ao = vldrwq_s32(t + 4);");
    c.line("#pragma GCC unroll %d", g.kh());
    c.open("for (int ky = ky_lo; ky < ky_hi; ++ky)");
    c.line("const int8_t *x = in + ((iy0 + ky%s) * %d + ix0) * %d + 8 * q;",
        ConvEmitter.times(g.dh()), g.iw(), ch);
    c.line("const int16_t *w = %s + ky * %d + 8 * q;", wn, g.kw() * ch);
    // Unrolling the columns too runs gcc 12 out of vector registers (measured: 6% more
    // instructions on KWS); the rows are enough.
    c.line("#pragma GCC unroll 1");
    c.open("for (int kx = kx_lo; kx < kx_hi; ++kx)");
    c.line("const int16x8_t v = vaddq_n_s16(vldrbq_s16(x + kx * %d), %d);", g.dw() * ch, offset);
    c.line("const int16x8_t wv = vldrhq_s16(w + kx * %d);", ch);
    c.line("ae = vaddq_s32(ae, vmullbq_int_s16(v, wv));");
    c.line("ao = vaddq_s32(ao, vmulltq_int_s16(v, wv));");
    c.close().close();
    c.line("kiln_mve_requant_store4(ae, t + 8, o + 8 * q, %d, %d, vidupq_n_u32(0, 2));",
        rq.range().min(), rq.range().max());
    c.line("kiln_mve_requant_store4(ao, t + 24, o + 8 * q + 1, %d, %d, vidupq_n_u32(0, 2));",
        rq.range().min(), rq.range().max());
    c.close();
    c.close().blank();

    ctx.beginFunction("depthwise", new int[] {Op.DepthwiseConv2D.INPUT}, new String[] {"in"});
    c.line("/* mve-depthwise: rows whose taps are all inside the input get constant tap bounds,");
    c.line("   and so do the columns between the padded ones. */");
    ConvEmitter.openBatch(c, g);
    c.open("for (int oy = 0; oy < %d; ++oy)", g.oh());
    ConvEmitter.rowBounds(c, "y", g.ih(), g.kh(), g.sh(), g.dh(), g.pads().top(), g.clips());
    c.line("int8_t *orow = out + oy * %d;", g.ow() * ch);
    if (g.clips()) {
      c.open("if (ky_lo == 0 && ky_hi == %d)", g.kh());
      DspDepthwiseEmitter.columns(c, g, px, "0", Integer.toString(g.kh()));
      c.close();
      c.open("else");
      DspDepthwiseEmitter.columns(c, g, px, "ky_lo", "ky_hi");
      c.close();
    } else {
      DspDepthwiseEmitter.columns(c, g, px, "ky_lo", "ky_hi");
    }
    c.close();
    ConvEmitter.closeBatch(c, g);
    ctx.endFunction();
    return (long) g.batch() * g.oh() * g.ow() * ch * taps;
  }
}
