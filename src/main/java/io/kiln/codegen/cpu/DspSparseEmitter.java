package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.ir.Encoding;
import io.kiln.ir.Op;

/**
 * The {@link Encoding.NM} sparse Conv2D for cores with the Arm DSP extension: decimate im2col as
 * in {@link SparseEmitter}, with the selected activations packed into words for SMLAD.
 *
 * <p>The patches of the two neighbouring output pixels are interleaved, element i of pixel p at
 * {@code patch[2i + p]}, so one aligned word load fetches both pixels' element i. Four stored
 * values are one word: SXTB16 of it and of it rotated by 8 give the weight pairs (v0, v2) and
 * (v1, v3). For each pair of selected elements, PKHBT and PKHTB take the two words apart into
 * pixel 0's pair and pixel 1's pair, and one SMLAD per pixel adds both products. The terms are
 * those of the plain sparse kernel, so every partial sum is the same exact int32 (SMLAD's
 * saturation flag is never read; the sum cannot overflow, as there) and the result is bit-exact.
 * A row's last values that do not fill a word of four are multiplied one at a time.
 */
final class DspSparseEmitter {
  private DspSparseEmitter() {}

  static long conv2d(LayerContext ctx, Op.Conv2D op, Encoding.NM f) {
    SparseEmitter.ConvSetup setup = SparseEmitter.ConvSetup.of(ctx, op, f);
    ConvEmitter.Geometry g = setup.g();
    int k = setup.k();
    SparseEmitter.Tables t = setup.t();
    int inOffset = setup.inOffset();

    CSource c = ctx.src();
    ctx.beginFunction("conv2d_sparse_dsp", new int[] {Op.Conv2D.INPUT}, new String[] {"in"});
    c.line("/* %s sparse with SMLAD: %d of %d weights per channel stored. The patches of two",
        f, t.perRow(), k);
    c.line("   neighbouring output pixels interleaved (element i of pixel p at patch[2 i + p]),");
    c.line("   offset by the input zero point (each element in [-255, 255]; padding taps are 0).");
    c.line("   Stack: %d bytes. */", 4 * k + 8 * g.oc());
    c.line("int16_t patch[%d] __attribute__((aligned(4)));", 2 * k);
    c.line("int32_t acc[2][%d];", g.oc());
    ConvEmitter.openBatch(c, g);
    c.open("for (int oy = 0; oy < %d; ++oy)", g.oh());
    c.line("const int iy0 = %s%s;", CSource.times("oy", g.sh()), CSource.plus(-g.pads().top()));
    c.open("for (int ox = 0; ox < %d; ox += 2)", g.ow());
    c.line("/* The second pixel repeats the first when the row has no second one. */");
    c.line("const int ox2 = ox + 1 < %d ? ox + 1 : ox;", g.ow());
    c.open("for (int px = 0; px < 2; ++px)");
    c.line("const int ix0 = %s%s;", CSource.times("(px == 0 ? ox : ox2)", g.sw()),
        CSource.plus(-g.pads().left()));
    c.line("int16_t *const cur = patch + px;");
    ConvEmitter.fillPatch(c, g, inOffset, "cur", 2);
    c.close();
    SparseEmitter.channelsAndStore(c, setup, () -> select(c, f, t.perRow()));
    ctx.endFunction();
    ctx.kernel("dsp-" + ctx.kernel(), ctx.kernelReason() + "; pairs of selected activations"
        + " packed into words for SMLAD");
    return (long) g.batch() * g.oh() * g.ow() * g.oc() * k;
  }

  /**
   * The sum over one channel's {@code perRow} values into {@code a00} (pixel 0) and {@code a01}
   * (pixel 1): words of four values with SMLAD, then the rest one by one.
   */
  private static void select(CSource c, Encoding.NM f, int perRow) {
    int bits = f.offsetBits();
    int per = f.offsetsPerByte();
    int mask = (1 << bits) - 1;
    int words = perRow / 4;
    if (words > 0) {
      // Four values' offsets fill one byte (2-bit) or two (4-bit); their groups start at q.
      // pq: the four values' groups start at pq[0] (both pixels' elements, hence 2 per element).
      c.line("const int16_t *pq = patch;");
      c.open("for (int j = 0; j < %d; ++j, pq += %d)", words, 2 * (4 / f.n() * f.m()));
      c.line(per == 4 ? "const unsigned b = o0[j];"
          : "const unsigned b = o0[2 * j] | (unsigned)o0[2 * j + 1] << 8;");
      c.line("const uint32_t w = kiln_dsp_ld32(w0 + 4 * j);");
      c.line("const int32_t w02 = __sxtb16(w), w13 = __sxtb16(kiln_dsp_ror8(w));");
      for (int s = 0; s < 4; s++) {
        String off = s == 0 ? "(b & " + mask + "u)" : "((b >> " + s * bits + ") & " + mask + "u)";
        c.line("const uint32_t p%d = kiln_dsp_ld32(pq + %s2 * %s);", s,
            s / f.n() == 0 ? "" : 2 * (s / f.n() * f.m()) + " + ", off);
      }
      c.line("/* (pixel 0's, pixel 1's) of each value -> each pixel's (value s, value s + 2). */");
      for (int s = 0; s < 2; s++) {
        String wp = s == 0 ? "w02" : "w13";
        c.line("a00 = __smlad((int32_t)kiln_dsp_pack_bottoms(p%d, p%d), %s, a00);", s, s + 2, wp);
        c.line("a01 = __smlad((int32_t)kiln_dsp_pack_tops(p%d, p%d), %s, a01);", s, s + 2, wp);
      }
      c.close();
    }
    for (int v = 4 * words; v < perRow; v++) {
      int shift = v % per * bits;
      String off = shift == 0 ? "(o0[" + v / per + "] & " + mask + "u)"
          : "((o0[" + v / per + "] >> " + shift + ") & " + mask + "u)";
      c.openBlock();
      c.line("const int k = %d + (int)%s;", v / f.n() * f.m(), off);
      c.line("a00 += w0[%d] * patch[2 * k];", v);
      c.line("a01 += w0[%d] * patch[2 * k + 1];", v);
      c.close();
    }
  }
}
