package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.quant.ConvRequant;
import java.util.Optional;

/**
 * Emits an int8 3x3 stride-1 Conv2D with Winograd's F(2x2, 3x3) algorithm, exactly: each 2x2
 * block of outputs is A^T [(G g G^T) . (B^T d B)] A over a 4x4 input tile d. G holds halves, so
 * the filter is transformed with 2G instead (16 int16 values per 3x3 filter, computed here): the
 * products sum to 4 times the direct convolution, which divides back exactly. Everything else
 * (zero-point offset, zero padding, bias, requantization) is what {@link ConvEmitter} does, so
 * the output is bit for bit the direct kernel's. Opt-in ({@code --winograd}): it trades 2.25x
 * fewer multiplies for transforms and 16/9 x 2 more weight bytes.
 */
final class WinogradEmitter {
  private WinogradEmitter() {}

  /** 2G: the filter transform without fractions. */
  private static final int[][] G2 = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};
  /** |B^T d B| <= 4 * 255: the input transform of offset int8 data fits int16. */
  private static final long MAX_V = 4 * 255;

  /** Why this layer cannot use the Winograd kernel, or empty when it can. */
  static Optional<String> rejection(LayerContext ctx, Op.Conv2D op) {
    Shape f = ctx.in(Op.Conv2D.FILTER).shape();
    if (!ctx.graph().input(ctx.node(), Op.Conv2D.FILTER).isConstant()) {
      return Optional.of("a computed filter");
    }
    if (f.dim(1) != 3 || f.dim(2) != 3) {
      return Optional.of("a " + f.dim(1) + "x" + f.dim(2) + " filter (Winograd F(2x2,3x3) needs"
          + " 3x3)");
    }
    if (op.strideH() != 1 || op.strideW() != 1 || op.dilationH() != 1 || op.dilationW() != 1) {
      return Optional.of("stride or dilation other than 1");
    }
    if (ctx.in(Op.Conv2D.INPUT).dtype() != DType.INT8 || ctx.out().dtype() != DType.INT8
        || ctx.in(Op.Conv2D.FILTER).dtype() != DType.INT8
        || f.dim(3) != ctx.in(Op.Conv2D.INPUT).shape().dim(3)) {
      return Optional.of("types or grouping other than int8 dense");
    }
    Quantization q = ctx.in(Op.Conv2D.FILTER).quant();
    int channels = q instanceof Quantization.PerAxis p ? p.channels() : 1;
    for (int ch = 0; ch < channels; ch++) {
      if (q.zeroPointAt(ch) != 0) {
        return Optional.of("an asymmetric filter");
      }
    }
    // Each output sums 9 transformed products per input channel: the int32 accumulator must
    // hold 9 * 1020 * sum_c max|U'| for every output channel.
    short[] u = transform(ctx.constantInts(Op.Conv2D.FILTER), f.dim(0), f.dim(3));
    int k = f.dim(0);
    int c = f.dim(3);
    for (int oc = 0; oc < k; oc++) {
      long sum = 0;
      for (int ic = 0; ic < c; ic++) {
        int max = 0;
        for (int e = 0; e < 16; e++) {
          max = Math.max(max, Math.abs(u[(e * k + oc) * c + ic]));
        }
        sum += max;
      }
      if (9 * MAX_V * sum > Integer.MAX_VALUE) {
        return Optional.of("too many input channels for an exact int32 accumulator");
      }
    }
    return Optional.empty();
  }

  /** U'[e][k][c] = sum (2G)[r][ky] w[k][ky][kx][c] (2G)[s][kx], e = 4r + s; |U'| <= 9 * 128. */
  static short[] transform(int[] ohwi, int k, int c) {
    short[] u = new short[16 * k * c];
    for (int oc = 0; oc < k; oc++) {
      for (int ic = 0; ic < c; ic++) {
        for (int r = 0; r < 4; r++) {
          for (int s = 0; s < 4; s++) {
            int v = 0;
            for (int ky = 0; ky < 3; ky++) {
              for (int kx = 0; kx < 3; kx++) {
                v += G2[r][ky] * ohwi[((oc * 3 + ky) * 3 + kx) * c + ic] * G2[s][kx];
              }
            }
            u[((r * 4 + s) * k + oc) * c + ic] = (short) v;
          }
        }
      }
    }
    return u;
  }

  static long emit(LayerContext ctx, Op.Conv2D op) {
    Shape in = ctx.in(Op.Conv2D.INPUT).shape();
    Shape out = ctx.out().shape();
    int h = in.dim(1);
    int w = in.dim(2);
    int c = in.dim(3);
    int oh = out.dim(1);
    int ow = out.dim(2);
    int k = out.dim(3);
    int batch = in.dim(0);
    Requant rq = Requant.declare(ctx, ConvRequant.convolution(ctx.in(Op.Conv2D.INPUT),
        ctx.in(Op.Conv2D.FILTER), ctx.out(), k, ctx.where()), op.act());
    String bias = ctx.has(Op.Conv2D.BIAS) ? ctx.constant(Op.Conv2D.BIAS) : null;
    int zp = (int) ctx.in(Op.Conv2D.INPUT).quant().zeroPoint();
    short[] u = transform(ctx.constantInts(Op.Conv2D.FILTER), k, c);
    int[] ui = new int[u.length];
    for (int i = 0; i < u.length; i++) {
      ui[i] = u[i];
    }
    CSource src = ctx.src();
    String table = ctx.name("winograd_u");
    src.line("/* The filters transformed by 2G (.) 2G^T: [16][%d][%d], 4x the exact transform. */",
        k, c);
    src.array("static const int16_t " + table, ui);
    ctx.beginFunction("conv2d_winograd", new int[] {Op.Conv2D.INPUT}, new String[] {"in"});
    src.line("/* Static (the library is not reentrant), to keep them off small stacks. d: the 4x4");
    src.line("   input tile, offset by the zero point (0 in the padding); t: B^T d;");
    src.line("   v: B^T d B; m: the 16 products summed over channels. */");
    src.line("static int16_t d[4][4][%d], t[4][4][%d], v[16][%d];", c, c, c);
    src.line("static int32_t m[16][%d];", k);
    if (batch > 1) {
      src.open("for (int b = 0; b < %d; ++b, in += %d, out += %d)", batch, h * w * c,
          oh * ow * k);
    }
    src.open("for (int oy = 0; oy < %d; oy += 2)", oh);
    src.open("for (int ox = 0; ox < %d; ox += 2)", ow);
    src.open("for (int r = 0; r < 4; ++r)");
    src.line("const int iy = oy + r%s;", CSource.plus(-op.pads().top()));
    src.open("for (int s = 0; s < 4; ++s)");
    src.line("const int ix = ox + s%s;", CSource.plus(-op.pads().left()));
    src.open("if (iy < 0 || iy >= %d || ix < 0 || ix >= %d)", h, w);
    src.line("for (int i = 0; i < %d; ++i) d[r][s][i] = 0;", c);
    src.line("continue;");
    src.close();
    src.line("const int8_t *x = in + (iy * %d + ix) * %d;", w, c);
    src.line("for (int i = 0; i < %d; ++i) d[r][s][i] = (int16_t)(x[i]%s);", c,
        CSource.plus(-zp));
    src.close().close();
    src.line("/* B^T d by rows, then by columns; |v| <= 1020. */");
    src.open("for (int s = 0; s < 4; ++s)");
    src.open("for (int i = 0; i < %d; ++i)", c);
    src.line("t[0][s][i] = (int16_t)(d[0][s][i] - d[2][s][i]);");
    src.line("t[1][s][i] = (int16_t)(d[1][s][i] + d[2][s][i]);");
    src.line("t[2][s][i] = (int16_t)(d[2][s][i] - d[1][s][i]);");
    src.line("t[3][s][i] = (int16_t)(d[1][s][i] - d[3][s][i]);");
    src.close().close();
    src.open("for (int r = 0; r < 4; ++r)");
    src.open("for (int i = 0; i < %d; ++i)", c);
    src.line("v[r * 4 + 0][i] = (int16_t)(t[r][0][i] - t[r][2][i]);");
    src.line("v[r * 4 + 1][i] = (int16_t)(t[r][1][i] + t[r][2][i]);");
    src.line("v[r * 4 + 2][i] = (int16_t)(t[r][2][i] - t[r][1][i]);");
    src.line("v[r * 4 + 3][i] = (int16_t)(t[r][1][i] - t[r][3][i]);");
    src.close().close();
    src.open("for (int e = 0; e < 16; ++e)");
    src.open("for (int oc = 0; oc < %d; ++oc)", k);
    src.line("const int16_t *uw = %s + (e * %d + oc) * %d;", table, k, c);
    src.line("int32_t acc = 0;");
    src.line("for (int i = 0; i < %d; ++i) acc += uw[i] * v[e][i];", c);
    src.line("m[e][oc] = acc;");
    src.close().close();
    src.line("/* A^T m A, then / 4 (exact: it is 4x the direct sum), bias and requantization. */");
    src.open("for (int oc = 0; oc < %d; ++oc)", k);
    src.line("int32_t p0[4], p1[4];");
    src.open("for (int s = 0; s < 4; ++s)");
    src.line("p0[s] = m[s][oc] + m[4 + s][oc] + m[8 + s][oc];");
    src.line("p1[s] = m[4 + s][oc] - m[8 + s][oc] - m[12 + s][oc];");
    src.close();
    src.line("const int32_t b = %s;", bias == null ? "0" : bias + "[oc]");
    src.line("const int32_t y00 = (p0[0] + p0[1] + p0[2]) / 4 + b;");
    src.line("const int32_t y01 = (p0[1] - p0[2] - p0[3]) / 4 + b;");
    src.line("const int32_t y10 = (p1[0] + p1[1] + p1[2]) / 4 + b;");
    src.line("const int32_t y11 = (p1[1] - p1[2] - p1[3]) / 4 + b;");
    src.line("int8_t *o = out + (oy * %d + ox) * %d + oc;", ow, k);
    src.line("o[0] = %s;", rq.store("y00", "oc"));
    boolean oddW = ow % 2 != 0;
    boolean oddH = oh % 2 != 0;
    src.line("%so[%d] = %s;", oddW ? "if (ox + 1 < " + ow + ") " : "", k, rq.store("y01", "oc"));
    if (oddH) {
      src.open("if (oy + 1 < %d)", oh);
    }
    src.line("o[%d] = %s;", ow * k, rq.store("y10", "oc"));
    src.line("%so[%d] = %s;", oddW ? "if (ox + 1 < " + ow + ") " : "", (ow + 1) * k,
        rq.store("y11", "oc"));
    if (oddH) {
      src.close();
    }
    src.close();
    src.close().close();
    if (batch > 1) {
      src.close();
    }
    ctx.endFunction();
    return (long) batch * oh * ow * k * 9 * c;
  }
}
