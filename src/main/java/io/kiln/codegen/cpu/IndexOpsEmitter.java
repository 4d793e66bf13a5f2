package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.GatherGeometry;
import io.kiln.ir.Op;
import io.kiln.ir.ResizeCoordinates;
import io.kiln.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Emits SHAPE (the static dimensions stored), GATHER (inner slices copied by index) and the
 * nearest-neighbour and bilinear resizes. The resizes' source coordinates come from
 * {@link ResizeCoordinates}, the interpreter's own computation, as constant tables, so only the
 * per-element arithmetic is in C, spelled as the interpreter (and TFLM) spell it.
 */
final class IndexOpsEmitter {
  private IndexOpsEmitter() {}

  static long shape(LayerContext ctx) {
    DType t = ctx.out().dtype();
    if (t != DType.INT32 && t != DType.INT64) {
      throw ctx.unsupported(t.shortName() + " output");
    }
    int[] dims = ctx.in(Op.ShapeOf.INPUT).shape().dims();
    CSource c = ctx.src();
    ctx.beginFunction("shape", new int[0], new String[0]);
    for (int i = 0; i < dims.length; i++) {
      c.line("out[%d] = %d;", i, dims[i]);
    }
    ctx.endFunction();
    return 0;
  }

  static long gather(LayerContext ctx, Op.Gather op) {
    DType t = ctx.in(Op.Gather.INPUT).dtype();
    DType it = ctx.in(Op.Gather.INDICES).dtype();
    if (t != ctx.out().dtype() || t == DType.BOOL || (it != DType.INT32 && it != DType.INT64)) {
      throw ctx.unsupported(t.shortName() + " values with " + it.shortName() + " indices");
    }
    GatherGeometry g = GatherGeometry.of(ctx.in(Op.Gather.INPUT).shape(),
        ctx.in(Op.Gather.INDICES).shape(), op);
    var indices = ctx.graph().input(ctx.node(), Op.Gather.INDICES);
    if (indices.isConstant()) {
      // Constant indices are checked now, so the clamp below never changes what they select.
      for (long v : indices.data().asLongs(it)) {
        if (v < -g.axisSize() || v >= g.axisSize()) {
          throw new io.kiln.KilnException(ctx.where() + ": index " + v + " is outside ["
              + -g.axisSize() + ", " + g.axisSize() + ")");
        }
      }
    }
    CSource c = ctx.src();
    ctx.beginFunction("gather", new int[] {Op.Gather.INPUT, Op.Gather.INDICES},
        new String[] {"in", "idx"});
    c.open("for (int b = 0; b < %d; ++b)", g.batches());
    c.open("for (int o = 0; o < %d; ++o)", g.outer());
    c.open("for (int k = 0; k < %d; ++k)", g.coords());
    c.line("const int64_t raw = idx[b * %d + k];", g.coords());
    c.line("/* An index in [-n, 0) counts from the end. The interpreter refuses any other index");
    c.line("   outside [0, n); TFLM leaves it undefined; here it is clamped so no input can make");
    c.line("   the copy read outside the buffer. */");
    c.line("int64_t i = raw < 0 ? raw + %d : raw;", g.axisSize());
    c.line("i = i < 0 ? 0 : i > %d ? %d : i;", g.axisSize() - 1, g.axisSize() - 1);
    c.line("memcpy(out + ((b * %d + o) * %d + k) * %d, in + ((b * %d + o) * %d + (int)i) * %d,"
        + " %d);", g.outer(), g.coords(), g.inner(), g.outer(), g.axisSize(), g.inner(),
        (long) g.inner() * t.bytes());
    c.close().close().close();
    ctx.endFunction();
    return 0;
  }

  static long resize(LayerContext ctx, Op.Resize op) {
    DType t = ctx.in(Op.Resize.INPUT).dtype();
    boolean nearest = op.mode() == Op.ResizeMode.NEAREST;
    if (t != ctx.out().dtype() || !(t == DType.FLOAT32 || t == DType.INT8
        || (nearest && t == DType.INT16))) {
      throw ctx.unsupported(t.shortName() + " input");
    }
    Shape in = ctx.in(Op.Resize.INPUT).shape();
    Shape out = ctx.out().shape();
    CSource c = ctx.src();
    String type = CSource.ctype(t);
    if (nearest) {
      String ys = ctx.name("src_y");
      String xs = ctx.name("src_x");
      c.array("static const int32_t " + ys, ResizeCoordinates.nearest(in.dim(1), out.dim(1), op));
      c.array("static const int32_t " + xs, ResizeCoordinates.nearest(in.dim(2), out.dim(2), op));
      ctx.beginFunction("resize_nearest", new int[] {Op.Resize.INPUT}, new String[] {"in"});
      c.line("%s *o = out;", type);
      openPixels(c, out);
      c.line("memcpy(o, in + ((b * %d + %s[y]) * %d + %s[x]) * %d, %d);", in.dim(1), ys,
          in.dim(2), xs, in.dim(3), (long) in.dim(3) * t.bytes());
      c.line("o += %d;", in.dim(3));
      c.close().close().close();
      ctx.endFunction();
      return 0;
    }
    List<String> tables = new ArrayList<>();
    if (t == DType.FLOAT32) {
      floatTables(ctx, "y", ResizeCoordinates.bilinearFloat(in.dim(1), out.dim(1), op), tables);
      floatTables(ctx, "x", ResizeCoordinates.bilinearFloat(in.dim(2), out.dim(2), op), tables);
    } else {
      fixedTables(ctx, "y", ResizeCoordinates.bilinearFixed(in.dim(1), out.dim(1), op), tables);
      fixedTables(ctx, "x", ResizeCoordinates.bilinearFixed(in.dim(2), out.dim(2), op), tables);
    }
    ctx.beginFunction("resize_bilinear", new int[] {Op.Resize.INPUT}, new String[] {"in"});
    c.line("%s *o = out;", type);
    c.open("for (int b = 0; b < %d; ++b)", out.dim(0));
    c.open("for (int y = 0; y < %d; ++y)", out.dim(1));
    c.line("const %s iy = %s[y];", t == DType.FLOAT32 ? "float" : "int32_t", tables.get(0));
    c.line("const int y0 = %s[y], y1 = %s[y];", tables.get(1), tables.get(2));
    c.open("for (int x = 0; x < %d; ++x)", out.dim(2));
    c.line("const %s ix = %s[x];", t == DType.FLOAT32 ? "float" : "int32_t", tables.get(3));
    c.line("const int x0 = %s[x], x1 = %s[x];", tables.get(4), tables.get(5));
    String row = "in + (b * " + in.dim(1) + " + %s) * " + in.dim(2) * in.dim(3);
    c.line("const %s *r0 = %s, *r1 = %s;", type, row.formatted("y0"), row.formatted("y1"));
    if (t == DType.INT8) {
      c.line("/* Weights in 1/1024ths; the products sum in int64 as in TFLM. */");
      c.line("const int64_t wy1 = iy - 1024 * (int64_t)y0, wy0 = 1024 - wy1;");
      c.line("const int64_t wx1 = ix - 1024 * (int64_t)x0, wx0 = 1024 - wx1;");
    }
    c.open("for (int ch = 0; ch < %d; ++ch)", in.dim(3));
    String v00 = "r0[x0 * " + in.dim(3) + " + ch]";
    String v10 = "r1[x0 * " + in.dim(3) + " + ch]";
    String v01 = "r0[x1 * " + in.dim(3) + " + ch]";
    String v11 = "r1[x1 * " + in.dim(3) + " + ch]";
    if (t == DType.FLOAT32) {
      c.line("/* TFLM's expression, evaluated left to right in float. */");
      c.line("o[ch] = %s * (1 - (iy - y0)) * (1 - (ix - x0)) + %s * (iy - y0) * (1 - (ix - x0))",
          v00, v10);
      c.line("    + %s * (1 - (iy - y0)) * (ix - x0) + %s * (iy - y0) * (ix - x0) + 0.0f;", v01,
          v11);
    } else {
      c.line("const int64_t sum = %s * wy0 * wx0 + %s * wy1 * wx0 + %s * wy0 * wx1"
          + " + %s * wy1 * wx1;", v00, v10, v01, v11);
      c.line("/* Divides by 2^20 rounding half away from zero (C division truncates). */");
      c.line("o[ch] = (int8_t)((sum + (sum > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));");
    }
    c.close();
    c.line("o += %d;", in.dim(3));
    c.close().close().close();
    ctx.endFunction();
    return 0;
  }

  private static void openPixels(CSource c, Shape out) {
    c.open("for (int b = 0; b < %d; ++b)", out.dim(0));
    c.open("for (int y = 0; y < %d; ++y)", out.dim(1));
    c.open("for (int x = 0; x < %d; ++x)", out.dim(2));
  }

  private static void floatTables(LayerContext ctx, String axis, ResizeCoordinates.Float f,
      List<String> names) {
    String scaled = ctx.name("scaled_" + axis);
    StringBuilder sb = new StringBuilder("static const float " + scaled + "[" + f.scaled().length
        + "] = {");
    for (int i = 0; i < f.scaled().length; i++) {
      sb.append(i == 0 ? "" : ", ").append(CSource.floatLiteral(f.scaled()[i]));
    }
    ctx.src().line("%s};", sb);
    names.add(scaled);
    bounds(ctx, axis, f.lower(), f.upper(), names);
  }

  private static void fixedTables(LayerContext ctx, String axis, ResizeCoordinates.Fixed f,
      List<String> names) {
    String scaled = ctx.name("scaled_" + axis);
    ctx.src().array("static const int32_t " + scaled, f.scaled());
    names.add(scaled);
    bounds(ctx, axis, f.lower(), f.upper(), names);
  }

  private static void bounds(LayerContext ctx, String axis, int[] lower, int[] upper,
      List<String> names) {
    String lo = ctx.name("lo_" + axis);
    String hi = ctx.name("hi_" + axis);
    ctx.src().array("static const int32_t " + lo, lower);
    ctx.src().array("static const int32_t " + hi, upper);
    names.add(lo);
    names.add(hi);
  }
}
