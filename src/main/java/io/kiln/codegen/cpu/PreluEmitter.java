package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import io.kiln.quant.PreluRequant;

/**
 * Emits PRelu: int8/int16 inputs with an int8 alpha by TFLM's two requantizations
 * ({@link PreluRequant}, the record the interpreter evaluates), float32 as
 * {@code x >= 0 ? x : x * alpha}. Alpha broadcasts along the input's leading axes (its shape,
 * without leading 1s, must be the input's trailing dimensions: TFLite's per-channel alpha).
 */
final class PreluEmitter {
  private PreluEmitter() {}

  static long emit(LayerContext ctx, Op.PRelu op) {
    DType dt = ctx.in(Op.PRelu.INPUT).dtype();
    ctx.requireOutType(dt);
    Shape in = ctx.in(Op.PRelu.INPUT).shape();
    Shape alpha = ctx.in(Op.PRelu.SLOPE).shape();
    String index = TrailingBroadcast.index(alpha, in, "i");
    if (index == null) {
      throw ctx.unsupported("alpha " + alpha + " that is not a trailing slice of input " + in);
    }
    CSource c = ctx.src();
    String a = "alpha[" + index + "]";
    switch (dt) {
      case FLOAT32 -> {
        ctx.requireType(Op.PRelu.SLOPE, DType.FLOAT32);
        ctx.beginFunction("prelu", new int[] {Op.PRelu.INPUT, Op.PRelu.SLOPE},
            new String[] {"in", "alpha"});
        c.open("for (int i = 0; i < %d; ++i)", in.elements());
        c.line("const float v = in[i];");
        c.line("out[i] = v >= 0.0f ? v : v * %s;", a);
        c.close();
      }
      case INT8, INT16 -> {
        ctx.requireType(Op.PRelu.SLOPE, DType.INT8);
        PreluRequant p = PreluRequant.of(ctx.in(Op.PRelu.INPUT).quant().scale(),
            (int) ctx.in(Op.PRelu.INPUT).quant().zeroPoint(),
            ctx.in(Op.PRelu.SLOPE).quant().scale(),
            (int) ctx.in(Op.PRelu.SLOPE).quant().zeroPoint(), ctx.out().quant().scale(),
            (int) ctx.out().quant().zeroPoint(), (int) dt.min(), (int) dt.max());
        ctx.beginFunction("prelu", new int[] {Op.PRelu.INPUT, Op.PRelu.SLOPE},
            new String[] {"in", "alpha"});
        c.open("for (int i = 0; i < %d; ++i)", in.elements());
        c.line("const int32_t x = (int32_t)in[i]%s;", CSource.plus(p.inputOffset()));
        c.line("int32_t v;");
        c.open("if (x >= 0)");
        c.line("v = %s;", mbqm("x", p.identity()));
        c.close();
        c.open("else");
        // |x| <= 2^16 and |alpha| <= 2^8: the product fits an int32.
        c.line("const int32_t xa = x * ((int32_t)%s%s);", a, CSource.plus(p.alphaOffset()));
        c.line("v = %s;", mbqm("xa", p.alpha()));
        c.close();
        c.line("v += %d;", p.outputOffset());
        c.line("v = v < %d ? %d : v;", p.min(), p.min());
        c.line("out[i] = (%s)(v > %d ? %d : v);", CSource.ctype(dt), p.max(), p.max());
        c.close();
      }
      default -> throw ctx.unsupported(dt.shortName() + " input");
    }
    ctx.endFunction();
    return 0;
  }

  /** TFLite's MultiplyByQuantizedMultiplier, the left shift written unsigned so C defines it. */
  private static String mbqm(String x, QuantizedMultiplier m) {
    String shifted = m.shift() > 0 ? "(int32_t)((uint32_t)" + x + " << " + m.shift() + ")" : x;
    return "kiln_rdbp(kiln_srdhm(" + shifted + ", " + CSource.intLiteral(m.multiplier()) + "), "
        + Math.max(0, -m.shift()) + ")";
  }
}
