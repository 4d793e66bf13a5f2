package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import io.kiln.quant.LeakyReluRequant;

/**
 * Emits LeakyRelu: int8 and int16 with TFLM's requantization ({@link LeakyReluRequant}, the
 * record the interpreter evaluates), float32 as {@code v > 0 ? v : v * alpha}.
 */
final class LeakyReluEmitter {
  private LeakyReluEmitter() {}

  static long emit(LayerContext ctx, Op.LeakyRelu op) {
    DType dt = ctx.in(Op.LeakyRelu.INPUT).dtype();
    ctx.requireOutType(dt);
    CSource c = ctx.src();
    int n = ctx.out().elements();
    switch (dt) {
      case FLOAT32 -> {
        ctx.beginFunction("leaky_relu", new int[] {Op.LeakyRelu.INPUT}, new String[] {"in"});
        c.open("for (int i = 0; i < %d; ++i)", n);
        c.line("const float v = in[i];");
        // Alpha may be above 1 or negative, so this is not max(v, alpha * v).
        c.line("out[i] = v > 0.0f ? v : v * %s;", CSource.floatLiteral(op.alpha()));
        c.close();
      }
      case INT8, INT16 -> {
        LeakyReluRequant p = LeakyReluRequant.of(ctx.in(Op.LeakyRelu.INPUT).quant().scale(),
            (int) ctx.in(Op.LeakyRelu.INPUT).quant().zeroPoint(), ctx.out().quant().scale(),
            (int) ctx.out().quant().zeroPoint(), op.alpha(), (int) dt.min(), (int) dt.max());
        QuantizedMultiplier id = p.identity();
        QuantizedMultiplier a = p.alpha();
        int alphaMult = p.negativeAlpha() ? -a.multiplier() : a.multiplier();
        ctx.beginFunction("leaky_relu", new int[] {Op.LeakyRelu.INPUT}, new String[] {"in"});
        c.open("for (int i = 0; i < %d; ++i)", n);
        // 16-bit inputs minus a zero point fit an int32; the left shift wraps like TFLM's int32
        // multiply, written unsigned so that C defines it.
        c.line("const int32_t x = (int32_t)in[i]%s;", CSource.plus(-p.inputZeroPoint()));
        c.line("int32_t v;");
        c.open("if (x >= 0)");
        c.line("v = %s;", mbqm("x", id.multiplier(), id.shift()));
        c.close();
        c.open("else");
        c.line("v = %s%s;", p.negativeAlpha() ? "-" : "", mbqm("x", alphaMult, a.shift()));
        c.close();
        c.line("v += %d;", p.outputZeroPoint());
        c.line("v = v < %d ? %d : v;", p.min(), p.min());
        c.line("out[i] = (%s)(v > %d ? %d : v);", CSource.ctype(dt), p.max(), p.max());
        c.close();
      }
      default -> throw ctx.unsupported(dt.shortName() + " input");
    }
    ctx.endFunction();
    return 0;
  }

  /** TFLite's MultiplyByQuantizedMultiplier with the shift resolved at compile time. */
  private static String mbqm(String x, int multiplier, int shift) {
    String shifted = shift > 0 ? "(int32_t)((uint32_t)" + x + " << " + shift + ")" : x;
    return "kiln_rdbp(kiln_srdhm(" + shifted + ", " + CSource.intLiteral(multiplier) + "), "
        + Math.max(0, -shift) + ")";
  }
}
