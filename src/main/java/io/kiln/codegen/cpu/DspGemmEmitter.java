package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.quant.ConvRequant;

/**
 * Emits int8 Conv2D and FullyConnected layers for the Arm DSP extension as register-blocked
 * matrix products over {@code kiln_dsp.h}'s micro-kernels: a convolution computes two output
 * pixels by two output channels at a time ({@code kiln_dsp_gemm_2x2}), a fully-connected layer
 * one input row by four units ({@code kiln_dsp_gemm_1x4}), both SMLAD on pairs of int16 from
 * four int8 per 32-bit load.
 *
 * <p>What the compile-time layout buys: weight rows are padded with zeros to a multiple of four
 * k (so no loop has a tail) and to a whole block of rows; the input offset is folded into the
 * bias, {@code bias' = bias + offset * sum(w)}, so the products use the raw int8 input. That is
 * exact: the integers are the same, and a tap in the padding is filled with the input zero point,
 * whose offset value is 0 (TFLM skips those taps, which also adds 0).
 */
final class DspGemmEmitter {
  private DspGemmEmitter() {}

  /** Why the DSP GEMM cannot take this Conv2D, or null when it can. */
  static String rejects(LayerContext ctx, Op.Conv2D op) {
    Shape in = ctx.in(Op.Conv2D.INPUT).shape();
    Shape f = ctx.in(Op.Conv2D.FILTER).shape();
    if (f.dim(3) != in.dim(3)) {
      return "grouped filters";
    }
    return null;
  }

  static long conv2d(LayerContext ctx, Op.Conv2D op) {
    ConvEmitter.checkTypes(ctx, Op.Conv2D.FILTER, Op.Conv2D.BIAS);
    Shape in = ctx.in(Op.Conv2D.INPUT).shape();
    Shape f = ctx.in(Op.Conv2D.FILTER).shape();
    Shape out = ctx.out().shape();
    ConvEmitter.Geometry g = new ConvEmitter.Geometry(in.dim(0), in.dim(1), in.dim(2),
        in.dim(3), out.dim(1), out.dim(2), out.dim(3), f.dim(1), f.dim(2), op.strideH(),
        op.strideW(), op.dilationH(), op.dilationW(), op.pads());
    int k = g.kh() * g.kw() * g.ic();
    int n4 = (k + 3) / 4;
    int rows = (g.oc() + 1) / 2 * 2;
    int zp = (int) ctx.in(Op.Conv2D.INPUT).quant().zeroPoint();
    Packed w = pack(ctx, Op.Conv2D.FILTER, Op.Conv2D.BIAS, g.oc(), k, 4 * n4, rows, -zp);
    DspRequant rq = DspRequant.declare(ctx, ConvRequant.convolution(ctx.in(Op.Conv2D.INPUT),
        ctx.in(Op.Conv2D.FILTER), ctx.out(), g.oc(), ctx.where()), op.act(), w.accBound());
    boolean pointwise = g.kh() == 1 && g.kw() == 1 && !g.clips() && g.ic() % 4 == 0;
    String kernel = pointwise ? "dsp-gemm-1x1" : "dsp-im2col-gemm";
    ctx.kernel(kernel, (pointwise ? "1x1 filter, " + g.ic() + " input channels (a multiple of "
        + "4): pixels widened straight from the input"
        : g.kh() + "x" + g.kw() + " filter" + (g.clips() ? " with padding" : "")
        + (g.ic() % 4 != 0 ? ", " + g.ic() + " input channels" : "")
        + ": taps gathered per pixel, then widened") + "; 2 pixels x 2 channels per block, "
        + "K " + k + " padded to " + 4 * n4 + "; " + w.variantWhy() + "; " + rq.why());
    int pixels = g.oh() * g.ow();
    ctx.scratch(16L * n4 + (pointwise ? 0 : 4L * n4));

    CSource c = ctx.src();
    ctx.beginFunction("conv2d", new int[] {Op.Conv2D.INPUT}, new String[] {"in"});
    c.line("/* %s. Two widened columns (output pixels) of %d groups of four k, %d bytes of",
        kernel, n4, 16 * n4);
    c.line("   stack%s. */", pointwise ? "" : ", and the gathered taps of one pixel");
    c.line("uint32_t cols[2][%d];", 2 * n4);
    if (!pointwise) {
      c.line("int8_t taps[%d];", 4 * n4);
      if (4 * n4 > k) {
        c.line("/* The padding k past the filter meet zero weights; any value does. */");
        c.line("memset(taps + %d, 0, %d);", k, 4 * n4 - k);
      }
    }
    ConvEmitter.openBatch(c, g);
    c.open("for (int p = 0; p < %d; p += 2)", pixels);
    if (pixels % 2 != 0) {
      c.line("/* An odd last pixel is computed twice, in both columns. */");
      c.line("const int q = p + 1 < %d ? p + 1 : p;", pixels);
    } else {
      c.line("const int q = p + 1;");
    }
    if (pointwise) {
      c.line("kiln_dsp_widen(in + (%s) * %d, cols[0], %d);", pixel(g, "p"), g.ic(), n4);
      c.line("kiln_dsp_widen(in + (%s) * %d, cols[1], %d);", pixel(g, "q"), g.ic(), n4);
    } else {
      gather(c, g, "p", "taps", zp);
      c.line("kiln_dsp_widen(taps, cols[0], %d);", n4);
      gather(c, g, "q", "taps", zp);
      c.line("kiln_dsp_widen(taps, cols[1], %d);", n4);
    }
    c.line("/* %s */", boundComment(w));
    block(c, g.oc(), rows, n4, w, rq);
    c.close();
    ConvEmitter.closeBatch(c, g);
    ctx.endFunction();
    return (long) g.batch() * pixels * g.oc() * k;
  }

  /** The channel blocks of one pixel pair: full pairs in a loop, then an odd last channel. */
  private static void block(CSource c, int channels, int rows, int n4, Packed w, DspRequant rq) {
    int pairs = channels / 2 * 2;
    if (pairs > 0) {
      c.open("for (int ch = 0; ch < %d; ch += 2)", pairs);
      blockBody(c, "ch", true, n4, w, rq);
      c.close();
    }
    if (pairs < channels) {
      c.open("");
      c.line("const int ch = %d;", pairs);
      blockBody(c, "ch", false, n4, w, rq);
      c.close();
    }
  }

  private static void blockBody(CSource c, String ch, boolean both, int n4, Packed w,
      DspRequant rq) {
    c.line("int32_t acc[4];");
    c.line("kiln_dsp_gemm_2x2%s(cols[0], cols[1], %s + %s * %d, %d, %d, acc);", w.variant(),
        w.weights(), ch, 4 * n4, 4 * n4, n4);
    if (both) {
      c.line("const int32_t b0 = %s[%s], b1 = %s[%s + 1];", w.bias(), ch, w.bias(), ch);
    } else {
      c.line("const int32_t b0 = %s[%s];", w.bias(), ch);
    }
    int oc = w.channels();
    c.line("out[p * %d + %s] = %s;", oc, ch, rq.store("b0 + acc[0]", ch));
    if (both) {
      c.line("out[p * %d + %s + 1] = %s;", oc, ch, rq.store("b1 + acc[1]", ch + " + 1"));
    }
    c.line("out[q * %d + %s] = %s;", oc, ch, rq.store("b0 + acc[2]", ch));
    if (both) {
      c.line("out[q * %d + %s + 1] = %s;", oc, ch, rq.store("b1 + acc[3]", ch + " + 1"));
    }
  }

  /** The input pixel index of output pixel {@code pix} of a 1x1 convolution without padding. */
  static String pixel(ConvEmitter.Geometry g, String pix) {
    return g.sh() == 1 && g.sw() == 1 ? pix
        : "(" + pix + " / " + g.ow() + ") * " + (g.sh() * g.iw()) + " + (" + pix + " % "
            + g.ow() + ") * " + g.sw();
  }

  /**
   * Gathers the taps of output pixel {@code pix} into the int8 buffer {@code dest} in filter
   * order, taps in the padding filled with the input zero point {@code zp}.
   */
  static void gather(CSource c, ConvEmitter.Geometry g, String pix, String dest, int zp) {
    int row = g.kw() * g.ic();
    c.open("");
    c.line("const int iy0 = (%s / %d) * %d - %d, ix0 = (%s %% %d) * %d - %d;", pix, g.ow(),
        g.sh(), g.pads().top(), pix, g.ow(), g.sw(), g.pads().left());
    c.open("for (int ky = 0; ky < %d; ++ky)", g.kh());
    c.line("const int iy = iy0 + ky%s;", ConvEmitter.times(g.dh()));
    c.line("int8_t *t = %s + ky * %d;", dest, row);
    if (g.clips()) {
      c.open("if (iy < 0 || iy >= %d)", g.ih());
      c.line("memset(t, %d, %d);", zp, row);
      c.line("continue;");
      c.close();
      c.open("if (ix0 >= 0 && ix0 + %d < %d)", (g.kw() - 1) * g.dw(), g.iw());
    }
    if (g.dw() == 1) {
      c.line("memcpy(t, in + (iy * %d + ix0) * %d, %d);", g.iw(), g.ic(), row);
    } else {
      c.open("for (int kx = 0; kx < %d; ++kx)", g.kw());
      c.line("memcpy(t + kx * %d, in + (iy * %d + ix0 + kx * %d) * %d, %d);", g.ic(), g.iw(),
          g.dw(), g.ic(), g.ic());
      c.close();
    }
    if (g.clips()) {
      c.line("continue;");
      c.close();
      c.open("for (int kx = 0; kx < %d; ++kx)", g.kw());
      c.line("const int ix = ix0 + kx%s;", ConvEmitter.times(g.dw()));
      c.open("if (ix < 0 || ix >= %d)", g.iw());
      c.line("memset(t + kx * %d, %d, %d);", g.ic(), zp, g.ic());
      c.close();
      c.open("else");
      c.line("memcpy(t + kx * %d, in + (iy * %d + ix) * %d, %d);", g.ic(), g.iw(), g.ic(),
          g.ic());
      c.close();
      c.close();
    }
    c.close();
    c.close();
  }

  /** Why the DSP GEMM cannot take this FullyConnected layer, or null when it can. */
  static String rejects(LayerContext ctx, Op.FullyConnected op) {
    var wq = ctx.in(Op.FullyConnected.WEIGHTS).quant();
    if (wq instanceof Quantization.PerTensor p && p.zeroPoint() != 0) {
      return "asymmetric weights (zero point " + p.zeroPoint() + ")";
    }
    return null;
  }

  static long fullyConnected(LayerContext ctx, Op.FullyConnected op) {
    int units = ctx.in(Op.FullyConnected.WEIGHTS).shape().dim(0);
    int depth = ctx.in(Op.FullyConnected.WEIGHTS).shape().dim(1);
    int batches = ctx.in(Op.FullyConnected.INPUT).elements() / depth;
    if ((long) batches * depth != ctx.in(Op.FullyConnected.INPUT).elements()
        || ctx.out().elements() != batches * units) {
      throw ctx.unsupported("input " + ctx.in(Op.FullyConnected.INPUT).shape()
          + " that does not flatten onto weights " + ctx.in(Op.FullyConnected.WEIGHTS).shape());
    }
    int n4 = (depth + 3) / 4;
    int rows = (units + 3) / 4 * 4;
    int zp = (int) ctx.in(Op.FullyConnected.INPUT).quant().zeroPoint();
    Packed w = pack(ctx, Op.FullyConnected.WEIGHTS, Op.FullyConnected.BIAS, units, depth,
        4 * n4, rows, -zp);
    DspRequant rq = DspRequant.declare(ctx, ConvRequant.fullyConnected(
        ctx.in(Op.FullyConnected.INPUT), ctx.in(Op.FullyConnected.WEIGHTS), ctx.out(), units,
        ctx.where()), op.act(), w.accBound());
    ctx.kernel("dsp-gemm-fc", "one input row by 4 units per block, depth " + depth
        + (4 * n4 > depth ? " padded to " + 4 * n4 : "") + "; " + w.variantWhy() + "; "
        + rq.why());
    ctx.scratch(8L * n4 + (4 * n4 > depth ? 4L * n4 : 0));

    CSource c = ctx.src();
    ctx.beginFunction("fully_connected", new int[] {Op.FullyConnected.INPUT},
        new String[] {"in"});
    c.line("/* dsp-gemm-fc: the input row widened once (%d bytes of stack), then four units",
        8 * n4);
    c.line("   at a time. */");
    c.line("uint32_t col[%d];", 2 * n4);
    boolean padded = 4 * n4 > depth;
    if (padded) {
      c.line("int8_t row[%d];", 4 * n4);
      c.line("memset(row + %d, 0, %d);", depth, 4 * n4 - depth);
    }
    c.open("for (int b = 0; b < %d; ++b)", batches);
    if (padded) {
      c.line("memcpy(row, in + b * %d, %d);", depth, depth);
      c.line("kiln_dsp_widen(row, col, %d);", n4);
    } else {
      c.line("kiln_dsp_widen(in + b * %d, col, %d);", depth, n4);
    }
    c.line("int8_t *o = out + b * %d;", units);
    c.line("/* %s */", boundComment(w));
    int full = units / 4 * 4;
    if (full > 0) {
      c.open("for (int u = 0; u < %d; u += 4)", full);
      fcBody(c, "u", 4, n4, w, rq);
      c.close();
    }
    if (full < units) {
      c.open("");
      c.line("const int u = %d;", full);
      fcBody(c, "u", units - full, n4, w, rq);
      c.close();
    }
    c.close();
    ctx.endFunction();
    return (long) batches * units * depth;
  }

  private static void fcBody(CSource c, String u, int store, int n4, Packed w, DspRequant rq) {
    c.line("int32_t acc[4];");
    c.line("kiln_dsp_gemm_1x4%s(col, %s + %s * %d, %d, %d, acc);", w.variant(), w.weights(), u,
        4 * n4, 4 * n4, n4);
    for (int j = 0; j < store; j++) {
      String ch = j == 0 ? u : u + " + " + j;
      c.line("o[%s] = %s;", ch, rq.store(w.bias() + "[" + ch + "] + acc[" + j + "]", ch));
    }
  }

  /**
   * Weights and folded bias of a GEMM layer in the kernels' layout, and the bound on each
   * channel's accumulator (TFLM's own: |bias| + sum |w| * max |x + offset|).
   */
  record Packed(String weights, String bias, int channels, long[] accBound, long k,
      long rawBound) {
    /**
     * The micro-kernel suffix: the two-AND pairs scaled by 256 when 256 times every raw-input
     * dot product of the layer fits in int32, else SXTB16 pairs.
     */
    String variant() {
      return rawBound * 256 < (1L << 31) ? "" : "_sxtb16";
    }

    String variantWhy() {
      return variant().isEmpty()
          ? "weights paired by two ANDs, sums x256 (|w.x| <= " + rawBound + " < 2^23)"
          : "weights paired by SXTB16 (|w.x| may reach " + rawBound + " >= 2^23)";
    }
  }

  /**
   * Lays out {@code [channels, k]} int8 weights as {@code rows} rows of {@code stride} (zero
   * padded) and folds {@code offset * sum(w)} into the bias.
   */
  static Packed pack(LayerContext ctx, int weightSlot, int biasSlot, int channels, int k,
      int stride, int rows, int offset) {
    int[] w = ctx.constantInts(weightSlot);
    int[] b = ctx.has(biasSlot) ? ctx.constantInts(biasSlot) : new int[channels];
    int[] packed = new int[rows * stride];
    int[] bias = new int[rows];
    long[] bound = new long[channels];
    long raw = 0;
    long maxX = Math.max(Math.abs(-128 + offset), Math.abs(127 + offset));
    for (int ch = 0; ch < channels; ch++) {
      long sum = 0;
      long abs = 0;
      for (int i = 0; i < k; i++) {
        int v = w[ch * k + i];
        packed[ch * stride + i] = v;
        sum += v;
        abs += Math.abs(v);
      }
      long folded = b[ch] + (long) offset * sum;
      if (folded != (int) folded) {
        throw ctx.unsupported("a bias that does not fold the input offset into int32");
      }
      bias[ch] = (int) folded;
      bound[ch] = Math.abs((long) b[ch]) + abs * maxX;
      raw = Math.max(raw, abs * 128);
    }
    String wn = ctx.weights().derive(ctx.name("w"), "int8_t", packed, "layer " + ctx.index()
        + ": " + channels + " weight rows of " + k + " padded to " + rows + " x " + stride);
    String bn = ctx.weights().derive(ctx.name("bias"), "int32_t", bias, "layer " + ctx.index()
        + ": bias + input offset " + offset + " * sum of each row's weights");
    return new Packed(wn, bn, channels, bound, k, raw);
  }

  private static String boundComment(Packed w) {
    long max = 0;
    for (long b : w.accBound()) {
      max = Math.max(max, b);
    }
    return "TFLM's accumulator is |bias| + sum |w * (x + offset)| <= " + max + " < 2^31; the"
        + " raw-input partial sums here differ from it by offset * (sum of the weights not yet"
        + " added), within the same bound doubled, so no int32 overflows.";
  }
}
