package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.ConvRequant;

/**
 * Emits int8 Conv2D and FullyConnected layers for Helium (the Cortex-M55) over
 * {@code kiln_mve.h}: a convolution computes two output pixels by four output channels per
 * block ({@code kiln_mve_gemm_2x4}), a fully-connected layer one input row by four units
 * ({@code kiln_mve_gemm_1x4}), sixteen int8 products per VMLADAVA. The weight layout and the
 * folded input offset are {@link DspGemmEmitter}'s, with rows padded to a multiple of sixteen;
 * the requantization is the DSP one ({@link DspRequant}), one output at a time.
 */
final class MveGemmEmitter {
  private MveGemmEmitter() {}

  static long conv2d(LayerContext ctx, Op.Conv2D op) {
    ConvEmitter.checkTypes(ctx, Op.Conv2D.FILTER, Op.Conv2D.BIAS);
    Shape in = ctx.in(Op.Conv2D.INPUT).shape();
    Shape f = ctx.in(Op.Conv2D.FILTER).shape();
    Shape out = ctx.out().shape();
    ConvEmitter.Geometry g = new ConvEmitter.Geometry(in.dim(0), in.dim(1), in.dim(2),
        in.dim(3), out.dim(1), out.dim(2), out.dim(3), f.dim(1), f.dim(2), op.strideH(),
        op.strideW(), op.dilationH(), op.dilationW(), op.pads());
    int k = g.kh() * g.kw() * g.ic();
    int n16 = (k + 15) / 16;
    int stride = 16 * n16;
    int rows = (g.oc() + 3) / 4 * 4;
    int zp = (int) ctx.in(Op.Conv2D.INPUT).quant().zeroPoint();
    DspGemmEmitter.Packed w = DspGemmEmitter.pack(ctx, Op.Conv2D.FILTER, Op.Conv2D.BIAS,
        g.oc(), k, stride, rows, -zp);
    ConvRequant q = ConvRequant.convolution(ctx.in(Op.Conv2D.INPUT), ctx.in(Op.Conv2D.FILTER),
        ctx.out(), g.oc(), ctx.where());
    // Whole groups of four channels requantize as one vector; else one output at a time.
    DspRequant.Lanes lanes = g.oc() % 4 == 0
        ? DspRequant.lanes(ctx, q, op.act(), w.accBound(), g.oc()) : null;
    String table = null;
    DspRequant rq = null;
    if (lanes != null && lanes.problem() == null) {
      int[] t = new int[4 * g.oc()];
      for (int ch = 0; ch < g.oc(); ch++) {
        int base = ch / 4 * 16 + ch % 4;
        t[base] = lanes.mult()[ch];
        t[base + 4] = lanes.add()[ch];
        t[base + 8] = -lanes.right()[ch];
        t[base + 12] = lanes.left()[ch];
      }
      table = ctx.weights().derive(ctx.name("t"), "int32_t", t, "layer " + ctx.index()
          + ": per group of 4 channels their multipliers, nudge + zero point << right, -right,"
          + " left");
    } else {
      rq = DspRequant.declare(ctx, q, op.act(), w.accBound());
    }
    String rqWhy = rq != null ? rq.why()
        : "vector " + lanes.bounds().replace("SMLAL", "VQRDMULH") + ", 4 channels at a time";
    boolean direct = g.kh() == 1 && g.kw() == 1 && !g.clips() && g.ic() % 16 == 0;
    String kernel = direct ? "mve-gemm-1x1" : "mve-im2col-gemm";
    ctx.kernel(kernel, (direct ? "1x1 filter, " + g.ic() + " input channels (a multiple of "
        + "16): pixels read straight from the input"
        : g.kh() + "x" + g.kw() + " filter" + (g.clips() ? " with padding" : "")
        + ", " + g.ic() + " input channels: taps gathered per pixel") + "; 2 pixels x 4 "
        + "channels per block, VMLADAVA on 16 int8, K " + k + " padded to " + stride + "; "
        + rqWhy);
    int pixels = g.oh() * g.ow();
    ctx.scratch(direct ? 0 : 2L * stride);

    CSource c = ctx.src();
    ctx.beginFunction("conv2d", new int[] {Op.Conv2D.INPUT}, new String[] {"in"});
    if (!direct) {
      c.line("/* %s: the gathered taps of two output pixels, %d bytes of stack. */", kernel,
          2 * stride);
      c.line("int8_t cols[2][%d];", stride);
      if (stride > k) {
        c.line("/* The padding k past the filter meet zero weights; any value does. */");
        c.line("memset(cols[0] + %d, 0, %d);", k, stride - k);
        c.line("memset(cols[1] + %d, 0, %d);", k, stride - k);
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
    if (direct) {
      c.line("const int8_t *xa = in + (%s) * %d;", DspGemmEmitter.pixel(g, "p"), g.ic());
      c.line("const int8_t *xb = in + (%s) * %d;", DspGemmEmitter.pixel(g, "q"), g.ic());
    } else {
      DspGemmEmitter.gather(c, g, "p", "cols[0]", zp);
      DspGemmEmitter.gather(c, g, "q", "cols[1]", zp);
      c.line("const int8_t *xa = cols[0], *xb = cols[1];");
    }
    int full = g.oc() / 4 * 4;
    if (table != null) {
      c.open("for (int ch = 0; ch < %d; ch += 4)", full);
      c.line("int32_t acc[8];");
      c.line("kiln_mve_gemm_2x4(xa, xb, %s + ch * %d, %d, %d, acc);", w.weights(), stride,
          stride, n16);
      c.line("const int32x4_t bias = vldrwq_s32(%s + ch);", w.bias());
      c.line("kiln_mve_requant_store4(vaddq_s32(vldrwq_s32(acc), bias), %s + ch * 4, out + p *"
          + " %d + ch, %d, %d, vidupq_n_u32(0, 1));", table, g.oc(), lanes.range().min(),
          lanes.range().max());
      c.line("kiln_mve_requant_store4(vaddq_s32(vldrwq_s32(acc + 4), bias), %s + ch * 4, out +"
          + " q * %d + ch, %d, %d, vidupq_n_u32(0, 1));", table, g.oc(), lanes.range().min(),
          lanes.range().max());
      c.close();
    } else if (full > 0) {
      c.open("for (int ch = 0; ch < %d; ch += 4)", full);
      convBlock(c, 4, stride, n16, w, rq);
      c.close();
    }
    if (full < g.oc()) {
      c.open("");
      c.line("const int ch = %d;", full);
      convBlock(c, g.oc() - full, stride, n16, w, rq);
      c.close();
    }
    c.close();
    ConvEmitter.closeBatch(c, g);
    ctx.endFunction();
    return (long) g.batch() * pixels * g.oc() * k;
  }

  private static void convBlock(CSource c, int store, int stride, int n16,
      DspGemmEmitter.Packed w, DspRequant rq) {
    c.line("int32_t acc[8];");
    c.line("kiln_mve_gemm_2x4(xa, xb, %s + ch * %d, %d, %d, acc);", w.weights(), stride, stride,
        n16);
    int oc = w.channels();
    for (int j = 0; j < store; j++) {
      String ch = j == 0 ? "ch" : "ch + " + j;
      c.line("out[p * %d + %s] = %s;", oc, ch, rq.store(w.bias() + "[" + ch + "] + acc[" + j
          + "]", ch));
      c.line("out[q * %d + %s] = %s;", oc, ch, rq.store(w.bias() + "[" + ch + "] + acc["
          + (4 + j) + "]", ch));
    }
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
    int n16 = (depth + 15) / 16;
    int stride = 16 * n16;
    int rows = (units + 3) / 4 * 4;
    int zp = (int) ctx.in(Op.FullyConnected.INPUT).quant().zeroPoint();
    DspGemmEmitter.Packed w = DspGemmEmitter.pack(ctx, Op.FullyConnected.WEIGHTS,
        Op.FullyConnected.BIAS, units, depth, stride, rows, -zp);
    DspRequant rq = DspRequant.declare(ctx, ConvRequant.fullyConnected(
        ctx.in(Op.FullyConnected.INPUT), ctx.in(Op.FullyConnected.WEIGHTS), ctx.out(), units,
        ctx.where()), op.act(), w.accBound());
    boolean padded = stride > depth;
    ctx.kernel("mve-gemm-fc", "one input row by 4 units per block, VMLADAVA on 16 int8, depth "
        + depth + (padded ? " padded to " + stride : "") + "; " + rq.why());
    ctx.scratch(padded ? stride : 0);

    CSource c = ctx.src();
    ctx.beginFunction("fully_connected", new int[] {Op.FullyConnected.INPUT},
        new String[] {"in"});
    if (padded) {
      c.line("/* mve-gemm-fc: the input row padded to %d bytes on the stack. */", stride);
      c.line("int8_t row[%d];", stride);
      c.line("memset(row + %d, 0, %d);", depth, stride - depth);
    }
    c.open("for (int b = 0; b < %d; ++b)", batches);
    if (padded) {
      c.line("memcpy(row, in + b * %d, %d);", depth, depth);
      c.line("const int8_t *x = row;");
    } else {
      c.line("const int8_t *x = in + b * %d;", depth);
    }
    c.line("int8_t *o = out + b * %d;", units);
    int full = units / 4 * 4;
    if (full > 0) {
      c.open("for (int u = 0; u < %d; u += 4)", full);
      fcBody(c, 4, stride, n16, w, rq);
      c.close();
    }
    if (full < units) {
      c.open("");
      c.line("const int u = %d;", full);
      fcBody(c, units - full, stride, n16, w, rq);
      c.close();
    }
    c.close();
    ctx.endFunction();
    return (long) batches * units * depth;
  }

  private static void fcBody(CSource c, int store, int stride, int n16, DspGemmEmitter.Packed w,
      DspRequant rq) {
    c.line("int32_t acc[4];");
    c.line("kiln_mve_gemm_1x4(x, %s + u * %d, %d, %d, acc);", w.weights(), stride, stride, n16);
    for (int j = 0; j < store; j++) {
      String ch = j == 0 ? "u" : "u + " + j;
      c.line("o[%s] = %s;", ch, rq.store(w.bias() + "[" + ch + "] + acc[" + j + "]", ch));
    }
  }
}
