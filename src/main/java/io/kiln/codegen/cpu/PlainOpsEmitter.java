package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.StridedSliceGeometry;
import io.kiln.ir.TensorType;

/**
 * Emits the unquantized operators around the audio front-end: CAST, element-wise int32 and float
 * arithmetic (a scalar operand broadcasts), STRIDED_SLICE as a copy or a gather, and
 * CONCATENATION as block copies. Quantized variants stay with their own emitters.
 */
final class PlainOpsEmitter {
  private PlainOpsEmitter() {}

  /** The binary operators this emitter handles. */
  enum Binary {
    ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM
  }

  static long cast(LayerContext ctx) {
    TensorType in = ctx.in(Op.Cast.INPUT);
    DType to = ctx.out().dtype();
    if (in.quant().isQuantized() || ctx.out().quant().isQuantized()) {
      throw ctx.unsupported("quantized tensors");
    }
    CSource c = ctx.src();
    ctx.beginFunction("cast", new int[] {Op.Cast.INPUT}, new String[] {"x"});
    String conv = switch (to) {
      case BOOL -> "(uint8_t)(x[i] != 0)";
      // C converts out-of-range values to a narrower signed type by wrapping (gcc/clang); the
      // unsigned intermediate makes that explicit for integer sources.
      case INT8, INT16, INT32, INT64 -> in.dtype().isInteger()
          ? "(" + CSource.ctype(to) + ")(" + unsignedOf(to) + ")x[i]"
          : "(" + CSource.ctype(to) + ")x[i]";
      default -> "(" + CSource.ctype(to) + ")x[i]";
    };
    c.line("for (int i = 0; i < %d; ++i) out[i] = %s;", ctx.out().elements(), conv);
    ctx.endFunction();
    return 0;
  }

  private static String unsignedOf(DType t) {
    return switch (t) {
      case INT8 -> "uint8_t";
      case INT16 -> "uint16_t";
      case INT32 -> "uint32_t";
      default -> "uint64_t";
    };
  }

  static long binary(LayerContext ctx, Binary kind, Op.Activation act) {
    TensorType a = ctx.in(0);
    TensorType b = ctx.in(1);
    DType t = ctx.out().dtype();
    if (t != DType.INT32 && t != DType.FLOAT32 || a.dtype() != t || b.dtype() != t) {
      throw ctx.unsupported(a.dtype().shortName() + ", " + b.dtype().shortName() + " -> "
          + t.shortName() + " (this emitter takes unquantized i32 or f32)");
    }
    if (a.quant().isQuantized() || b.quant().isQuantized() || ctx.out().quant().isQuantized()) {
      throw ctx.unsupported("quantized operands");
    }
    int n = ctx.out().elements();
    String x = operand(ctx, a, n, "lhs");
    String y = operand(ctx, b, n, "rhs");
    if (kind == Binary.DIV && t == DType.INT32) {
      checkDivisor(ctx);
    }
    boolean f = t == DType.FLOAT32;
    String expr = switch (kind) {
      // int32 wraps like TFLM's: computed in uint32, converted back (defined in gcc/clang).
      case ADD -> f ? x + " + " + y : "(int32_t)((uint32_t)" + x + " + (uint32_t)" + y + ")";
      case SUB -> f ? x + " - " + y : "(int32_t)((uint32_t)" + x + " - (uint32_t)" + y + ")";
      case MUL -> f ? x + " * " + y : "(int32_t)((uint32_t)" + x + " * (uint32_t)" + y + ")";
      case DIV -> x + " / " + y;
      case MAXIMUM -> x + " > " + y + " ? " + x + " : " + y;
      case MINIMUM -> x + " < " + y + " ? " + x + " : " + y;
    };
    CSource c = ctx.src();
    ctx.beginFunction(kind.name().toLowerCase(java.util.Locale.ROOT), new int[] {0, 1},
        new String[] {"lhs", "rhs"});
    c.open("for (int i = 0; i < %d; ++i)", n);
    c.line("%s v = %s;", CSource.ctype(t), expr);
    clamp(ctx, c, act, f);
    c.line("out[i] = v;");
    c.close();
    ctx.endFunction();
    return 0;
  }

  private static void clamp(LayerContext ctx, CSource c, Op.Activation act, boolean f) {
    String lo = switch (act) {
      case NONE -> null;
      case RELU, RELU6 -> "0";
      case RELU_N1_TO_1 -> "-1";
      default -> throw ctx.unsupported("activation " + act);
    };
    String hi = switch (act) {
      case RELU6 -> "6";
      case RELU_N1_TO_1 -> "1";
      default -> null;
    };
    if (lo != null) {
      c.line("v = v < %s ? %s : v;", lo + (f ? ".0f" : ""), lo + (f ? ".0f" : ""));
    }
    if (hi != null) {
      c.line("v = v > %s ? %s : v;", hi + (f ? ".0f" : ""), hi + (f ? ".0f" : ""));
    }
  }

  /** The element expression of an operand: same shape as the output, or one broadcast value. */
  private static String operand(LayerContext ctx, TensorType t, int n, String name) {
    if (t.elements() == n && t.shape().equals(ctx.out().shape())) {
      return name + "[i]";
    }
    if (t.elements() == 1) {
      return name + "[0]";
    }
    throw ctx.unsupported("broadcasting " + t.shape() + " to " + ctx.out().shape());
  }

  /** Integer division by zero or INT_MIN / -1 is undefined in C: only safe constants divide. */
  private static void checkDivisor(LayerContext ctx) {
    if (!ctx.graph().input(ctx.node(), 1).isConstant()) {
      throw ctx.unsupported("a computed int32 divisor");
    }
    for (int d : ctx.constantInts(1)) {
      if (d == 0 || d == -1) {
        throw ctx.unsupported("the int32 divisor " + d);
      }
    }
  }

  static long stridedSlice(LayerContext ctx, Op.StridedSlice op) {
    Shape in = ctx.in(Op.StridedSlice.INPUT).shape();
    StridedSliceGeometry g = StridedSliceGeometry.of(op, in);
    int[] idx = gather(g, in);
    CSource c = ctx.src();
    int bytes = ctx.out().dtype().bytes();
    boolean contiguous = true;
    for (int i = 1; i < idx.length; i++) {
      contiguous &= idx[i] == idx[0] + i;
    }
    if (!contiguous) {
      c.array("static const int32_t " + ctx.name("gather"), idx);
    }
    ctx.beginFunction("strided_slice", new int[] {Op.StridedSlice.INPUT}, new String[] {"x"});
    if (idx.length == 0) {
      c.line("(void)x;");
      c.line("(void)out;");
    } else if (contiguous) {
      c.line("memcpy(out, x + %d, %d);", idx[0], idx.length * bytes);
    } else {
      c.line("for (int i = 0; i < %d; ++i) out[i] = x[%s[i]];", idx.length, ctx.name("gather"));
    }
    ctx.endFunction();
    return 0;
  }

  /** The flat input index of each output element, in output order. */
  private static int[] gather(StridedSliceGeometry g, Shape in) {
    int rank = in.rank();
    int[] count = new int[rank];
    int total = 1;
    for (int a = 0; a < rank; a++) {
      int span = g.stop()[a] - g.start()[a];
      int st = g.stride()[a];
      count[a] = Math.max(0, (span + st + (st > 0 ? -1 : 1)) / st);
      total *= count[a];
    }
    int[] strides = in.strides();
    int[] idx = new int[total];
    int[] pos = new int[rank];
    for (int k = 0; k < total; k++) {
      int flat = 0;
      for (int a = 0; a < rank; a++) {
        flat += (g.start()[a] + pos[a] * g.stride()[a]) * strides[a];
      }
      idx[k] = flat;
      for (int a = rank - 1; a >= 0; a--) {
        if (++pos[a] < count[a]) {
          break;
        }
        pos[a] = 0;
      }
    }
    return idx;
  }

  static long concatenation(LayerContext ctx, Op.Concatenation op) {
    if (op.act() != Op.Activation.NONE) {
      throw ctx.unsupported("a fused activation");
    }
    int inputs = ctx.node().inputs().size();
    Shape out = ctx.out().shape();
    int outer = 1;
    for (int a = 0; a < op.axis(); a++) {
      outer *= out.dim(a);
    }
    int inner = 1;
    for (int a = op.axis() + 1; a < out.rank(); a++) {
      inner *= out.dim(a);
    }
    int[] slots = new int[inputs];
    String[] names = new String[inputs];
    for (int i = 0; i < inputs; i++) {
      slots[i] = i;
      names[i] = "x" + i;
      TensorType t = ctx.in(i);
      if (t.dtype() != ctx.out().dtype() || !t.quant().equals(ctx.out().quant())) {
        throw ctx.unsupported("inputs of another type or quantization than the output");
      }
    }
    CSource c = ctx.src();
    int bytes = ctx.out().dtype().bytes();
    ctx.beginFunction("concat", slots, names);
    c.line("%s *o = out;", CSource.ctype(ctx.out().dtype()));
    c.open("for (int k = 0; k < %d; ++k)", outer);
    for (int i = 0; i < inputs; i++) {
      int chunk = ctx.in(i).shape().dim(op.axis()) * inner;
      c.line("memcpy(o, x%d + k * %d, %d);", i, chunk, chunk * bytes);
      c.line("o += %d;", chunk);
    }
    c.close();
    ctx.endFunction();
    return 0;
  }
}
