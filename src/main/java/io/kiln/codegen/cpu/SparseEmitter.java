package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.NmWeights;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.ConvRequant;

/**
 * Emits int8 Conv2D and FullyConnected layers whose weights are {@link Encoding.NM} sparse: the
 * non-zero values and their packed offsets are stored (not the dense filter), and each value
 * selects its activation by address {@code group·M + offset}.
 *
 * <p>Conv2D, "decimate im2col": the int16 patches of two neighbouring output pixels are built
 * once, as the dense kernel builds one, then every output channel walks its own values and
 * offsets over both patches (one channel per iteration: channels do not share offsets).
 * FullyConnected selects from the offset input vector directly, two output channels per
 * iteration. Offsets are unpacked with shifts and masks, one byte at a time; values and offsets
 * are read sequentially. The terms are the dense kernel's minus its zero-weight ones, so every
 * partial sum is an exact int32 as there and the result is bit-exact with it. Cores with the
 * DSP extension get {@link DspSparseEmitter}'s Conv2D instead, the reference it is tested against.
 */
final class SparseEmitter {
  private SparseEmitter() {}

  /**
   * What both sparse Conv2D kernels (this one and {@link DspSparseEmitter}'s) derive before
   * emitting: the geometry, the declared output stage, the reduction length, the value and offset
   * tables, the bias constant (or null) and the input offset (minus the input zero point).
   */
  record ConvSetup(ConvEmitter.Geometry g, Requant rq, int k, Tables t, String bias,
      int inOffset) {
    static ConvSetup of(LayerContext ctx, Op.Conv2D op, Encoding.NM f) {
      ConvEmitter.checkTypes(ctx, Op.Conv2D.FILTER, Op.Conv2D.BIAS);
      Shape in = ctx.in(Op.Conv2D.INPUT).shape();
      Shape fs = ctx.in(Op.Conv2D.FILTER).shape();
      Shape out = ctx.out().shape();
      ConvEmitter.Geometry g = new ConvEmitter.Geometry(in.dim(0), in.dim(1), in.dim(2),
          in.dim(3), out.dim(1), out.dim(2), out.dim(3), fs.dim(1), fs.dim(2), op.strideH(),
          op.strideW(), op.dilationH(), op.dilationW(), op.pads());
      Requant rq = Requant.declare(ctx, ConvRequant.convolution(ctx.in(Op.Conv2D.INPUT),
          ctx.in(Op.Conv2D.FILTER), ctx.out(), g.oc(), ctx.where()), op.act());
      int k = g.kh() * g.kw() * g.ic();
      return new ConvSetup(g, rq, k, tables(ctx, Op.Conv2D.FILTER, g.oc(), k, f),
          ctx.has(Op.Conv2D.BIAS) ? ctx.constant(Op.Conv2D.BIAS) : null,
          (int) -ctx.in(Op.Conv2D.INPUT).quant().zeroPoint());
    }
  }

  /**
   * The channel loop both sparse Conv2D kernels end with: per output channel the two pixels'
   * accumulators start at the bias, {@code select} emits their sums over the stored values, then
   * both pixels are requantized and stored; closes the pixel and batch loops.
   */
  static void channelsAndStore(CSource c, ConvSetup s, Runnable select) {
    ConvEmitter.Geometry g = s.g();
    Tables t = s.t();
    c.open("for (int oc = 0; oc < %d; ++oc)", g.oc());
    c.line("const int8_t *w0 = %s + oc * %d;", t.values(), t.perRow());
    c.line("const uint8_t *o0 = %s + oc * %d;", t.offsets(), t.offsetBytes());
    String init = s.bias() == null ? "0" : s.bias() + "[oc]";
    c.line("int32_t a00 = %s, a01 = %s;", init, init);
    select.run();
    c.line("acc[0][oc] = a00;");
    c.line("acc[1][oc] = a01;");
    c.close();
    c.line("int8_t *o = out + (oy * %d + ox) * %d;", g.ow(), g.oc());
    c.open("for (int oc = 0; oc < %d; ++oc)", g.oc());
    c.line("o[oc] = %s;", s.rq().store("acc[0][oc]", "oc"));
    c.close();
    c.open("if (ox2 != ox)");
    c.open("for (int oc = 0; oc < %d; ++oc)", g.oc());
    c.line("o[%d + oc] = %s;", g.oc(), s.rq().store("acc[1][oc]", "oc"));
    c.close().close();
    c.close().close();
    ConvEmitter.closeBatch(c, g);
  }

  static long conv2d(LayerContext ctx, Op.Conv2D op, Encoding.NM f) {
    ConvSetup setup = ConvSetup.of(ctx, op, f);
    ConvEmitter.Geometry g = setup.g();
    int k = setup.k();
    Tables t = setup.t();
    int inOffset = setup.inOffset();

    CSource c = ctx.src();
    ctx.beginFunction("conv2d_sparse", new int[] {Op.Conv2D.INPUT}, new String[] {"in"});
    c.line("/* %s sparse: %d of %d weights per channel stored. The patches of two neighbouring",
        f, t.perRow(), k);
    c.line("   output pixels, offset by the input zero point (each element in [-255, 255];");
    c.line("   padding taps are 0, adding what TFLM's skipped taps add). Stack: %d bytes. */",
        4 * k + 8 * g.oc());
    c.line("int16_t patch[2][%d];", k);
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
    c.line("int16_t *const cur = patch[px];");
    ConvEmitter.fillPatch(c, g, inOffset, "cur");
    c.close();
    channelsAndStore(c, setup, () -> select(c, f, t.perRow(), 1,
        new String[] {"patch[0]", "patch[1]"}));
    ctx.endFunction();
    return (long) g.batch() * g.oh() * g.ow() * g.oc() * k;
  }

  static long fullyConnected(LayerContext ctx, Op.FullyConnected op, Encoding.NM f) {
    ConvEmitter.checkTypes(ctx, Op.FullyConnected.WEIGHTS, Op.FullyConnected.BIAS);
    int units = ctx.in(Op.FullyConnected.WEIGHTS).shape().dim(0);
    int depth = ctx.in(Op.FullyConnected.WEIGHTS).shape().dim(1);
    int batches = ctx.in(Op.FullyConnected.INPUT).elements() / depth;
    if ((long) batches * depth != ctx.in(Op.FullyConnected.INPUT).elements()
        || ctx.out().elements() != batches * units) {
      throw ctx.unsupported("input " + ctx.in(Op.FullyConnected.INPUT).shape()
          + " that does not flatten onto weights " + ctx.in(Op.FullyConnected.WEIGHTS).shape());
    }
    Requant rq = Requant.declare(ctx, ConvRequant.fullyConnected(
        ctx.in(Op.FullyConnected.INPUT), ctx.in(Op.FullyConnected.WEIGHTS), ctx.out(), units,
        ctx.where()), op.act());
    Tables t = tables(ctx, Op.FullyConnected.WEIGHTS, units, depth, f);
    String bias = ctx.has(Op.FullyConnected.BIAS) ? ctx.constant(Op.FullyConnected.BIAS) : null;
    int inOffset = (int) -ctx.in(Op.FullyConnected.INPUT).quant().zeroPoint();

    CSource c = ctx.src();
    ctx.beginFunction("fully_connected_sparse", new int[] {Op.FullyConnected.INPUT},
        new String[] {"in"});
    c.line("/* %s sparse: %d of %d weights per unit stored. The input row offset by its zero",
        f, t.perRow(), depth);
    c.line("   point (each element in [-255, 255]). Stack: %d bytes. */", 2 * depth + 4 * units);
    c.line("int16_t xs[%d];", depth);
    c.line("int32_t acc[%d];", units);
    c.open("for (int b = 0; b < %d; ++b)", batches);
    c.line("const int8_t *x = in + b * %d;", depth);
    c.open("for (int i = 0; i < %d; ++i)", depth);
    c.line("xs[i] = (int16_t)(x[i]%s);", CSource.plus(inOffset));
    c.close();
    int pairs = units / 2 * 2;
    if (pairs > 0) {
      c.open("for (int u = 0; u < %d; u += 2)", pairs);
      c.line("const int8_t *w0 = %s + u * %d, *w1 = w0 + %d;", t.values(), t.perRow(),
          t.perRow());
      c.line("const uint8_t *o0 = %s + u * %d, *o1 = o0 + %d;", t.offsets(), t.offsetBytes(),
          t.offsetBytes());
      c.line("int32_t a00 = %s, a10 = %s;", bias == null ? "0" : bias + "[u]",
          bias == null ? "0" : bias + "[u + 1]");
      select(c, f, t.perRow(), 2, new String[] {"xs"});
      c.line("acc[u] = a00;");
      c.line("acc[u + 1] = a10;");
      c.close();
    }
    if (pairs < units) {
      c.openBlock();
      c.line("const int8_t *w0 = %s + %d;", t.values(), pairs * t.perRow());
      c.line("const uint8_t *o0 = %s + %d;", t.offsets(), pairs * t.offsetBytes());
      c.line("int32_t a00 = %s;", bias == null ? "0" : bias + "[" + pairs + "]");
      select(c, f, t.perRow(), 1, new String[] {"xs"});
      c.line("acc[%d] = a00;", pairs);
      c.close();
    }
    c.open("for (int u = 0; u < %d; ++u)", units);
    c.line("out[b * %d + u] = %s;", units, rq.store("acc[u]", "u"));
    c.close();
    c.close();
    ctx.endFunction();
    return (long) batches * units * depth;
  }

  /** The names and strides of a layer's value and offset tables. */
  record Tables(String values, String offsets, int perRow, int offsetBytes) {}

  static Tables tables(LayerContext ctx, int slot, int rows, int length,
      Encoding.NM f) {
    NmWeights w = NmWeights.pack(ctx.constantInts(slot), rows, f);
    byte[] packed = w.packedOffsets();
    int[] offsets = new int[packed.length];
    for (int i = 0; i < packed.length; i++) {
      offsets[i] = packed[i] & 0xFF;
    }
    String values = ctx.weights().derive(ctx.name("nm_values"), "int8_t", w.values(),
        f + " sparse non-zero weights, " + w.valuesPerRow() + " per channel");
    String offs = ctx.weights().derive(ctx.name("nm_offsets"), "uint8_t", offsets,
        f + " offsets in their groups, " + f.offsetBits() + " bits each, low bits first");
    return new Tables(values, offs, w.valuesPerRow(), f.offsetBytesPerRow(length));
  }

  /**
   * Emits the sum over one channel's stored values for {@code rows} channels (weights
   * {@code w<r>}, offsets {@code o<r>}) and {@code vecs} vectors into {@code a<r><v>}: one byte
   * of offsets per step, each offset masked out of it and added to its group's start.
   */
  private static void select(CSource c, Encoding.NM f, int perRow, int rows, String[] vecs) {
    int per = f.offsetsPerByte();
    int step = per / f.n() * f.m();
    int full = perRow / per;
    int rest = perRow % per;
    if (full > 0) {
      c.open("for (int j = 0; j < %d; ++j)", full);
      selectByte(c, f, rows, vecs, "j", "j * " + step, "j * " + per, per);
      c.close();
    }
    if (rest > 0) {
      c.openBlock();
      selectByte(c, f, rows, vecs, Integer.toString(full), Integer.toString(full * step),
          Integer.toString(full * per), rest);
      c.close();
    }
  }

  private static void selectByte(CSource c, Encoding.NM f, int rows, String[] vecs,
      String byteAt, String groupStart, String valueAt, int count) {
    int mask = (1 << f.offsetBits()) - 1;
    for (int r = 0; r < rows; r++) {
      c.line("const unsigned b%d = o%d[%s];", r, r, byteAt);
    }
    c.line("const int q = %s;", groupStart);
    for (int r = 0; r < rows; r++) {
      c.line("const int8_t *v%d = w%d + %s;", r, r, valueAt);
    }
    for (int s = 0; s < count; s++) {
      int group = s / f.n() * f.m();
      int shift = s * f.offsetBits();
      for (int r = 0; r < rows; r++) {
        String bits = shift == 0 ? "(b" + r + " & " + mask + "u)"
            : "((b" + r + " >> " + shift + ") & " + mask + "u)";
        c.line("const int k%d%d = q%s + (int)%s;", r, s, CSource.plus(group), bits);
      }
      for (int r = 0; r < rows; r++) {
        for (int x = 0; x < vecs.length; x++) {
          c.line("a%d%d += v%d[%d] * %s[k%d%d];", r, x, r, s, vecs[x], r, s);
        }
      }
    }
  }
}
