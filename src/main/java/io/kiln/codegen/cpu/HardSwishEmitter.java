package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.HardSwishRequant;

/**
 * Emits 8-bit HardSwish with TFLite's int16 fixed-point steps ({@link HardSwishRequant}, the
 * record the interpreter evaluates); every intermediate is stored as an {@code int16_t} exactly
 * where the reference kernel stores one.
 */
final class HardSwishEmitter {
  private HardSwishEmitter() {}

  static long emit(LayerContext ctx, Op.HardSwish op) {
    DType dt = ctx.in(Op.HardSwish.INPUT).dtype();
    if (dt != DType.INT8 && dt != DType.UINT8) {
      throw ctx.unsupported(dt.shortName() + " input");
    }
    ctx.requireOutType(dt);
    HardSwishRequant p = HardSwishRequant.of(ctx.in(Op.HardSwish.INPUT).quant().scale(),
        (int) ctx.in(Op.HardSwish.INPUT).quant().zeroPoint(), ctx.out().quant().scale(),
        (int) ctx.out().quant().zeroPoint(), (int) dt.min(), (int) dt.max(), ctx.where());
    CSource c = ctx.src();
    String srdhm = ctx.name("srdhm16");
    String rdbp = ctx.name("rdbp16");
    String shl = ctx.name("sat_shl16");
    c.line("/* int16 helpers of TFLite's HardSwish: rounding and truncating doubling high"
        + " multiplies, rounding right shift, saturating left shift. */");
    c.open("static int16_t %s(int16_t a, int16_t b)", srdhm);
    c.line("if (a == b && a == INT16_MIN) return INT16_MAX;");
    c.line("const int32_t ab = (int32_t)a * (int32_t)b;");
    c.line("return (int16_t)((ab + (ab >= 0 ? (1 << 14) : (1 - (1 << 14)))) / (1 << 15));");
    c.close();
    c.open("static int16_t %s(int16_t x, int e)", rdbp);
    c.line("const int32_t mask = (int16_t)((INT64_C(1) << e) - 1);");
    c.line("const int32_t remainder = x & mask;");
    c.line("const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);");
    c.line("return (int16_t)((x >> e) + (remainder > threshold ? 1 : 0));");
    c.close();
    if (p.reluishExponent() > 0) {
      c.open("static int16_t %s(int16_t x, int e)", shl);
      c.line("const int64_t r = (int64_t)x * (INT64_C(1) << e);");
      c.line("return (int16_t)(r > INT16_MAX ? INT16_MAX : r < INT16_MIN ? INT16_MIN : r);");
      c.close();
    }
    ctx.beginFunction("hard_swish", new int[] {Op.HardSwish.INPUT}, new String[] {"in"});
    c.open("for (int i = 0; i < %d; ++i)", ctx.out().elements());
    c.line("const int16_t input = (int16_t)(in[i]%s);", CSource.plus(-p.inputZeroPoint()));
    c.line("const int16_t hires = (int16_t)(input * (1 << 7));");
    c.line("const int16_t preshift_output = %s(hires, %d);", srdhm, p.outputMultiplier());
    c.line("int16_t reluish = hires;");
    if (p.reluishExponent() > 0) {
      c.line("reluish = %s(reluish, %d);", shl, p.reluishExponent() - 1);
    }
    c.line("reluish = %s(reluish, %d);", srdhm, p.reluishMultiplier());
    if (p.reluishExponent() > 0) {
      c.line("reluish = %s(reluish, 1);", shl);
    }
    if (p.reluishExponent() < 0) {
      c.line("reluish = %s(reluish, %d);", rdbp, -p.reluishExponent());
    }
    c.line("reluish = (int16_t)((reluish + (1 << 15)) >> 1);");
    c.line("/* TFLite's SaturatingDoublingHighMul truncates (the one overflow cannot occur: reluish"
        + " >= 0). */");
    c.line("const int16_t preshift = (int16_t)(((int32_t)reluish * preshift_output) / (1 << 15));");
    c.line("int32_t v = (int16_t)(%s(preshift, %d)%s);", rdbp, -p.outputExponent(),
        CSource.plus(p.outputZeroPoint()));
    c.line("v = v < %d ? %d : v;", p.min(), p.min());
    c.line("out[i] = (%s)(v > %d ? %d : v);", CSource.ctype(dt), p.max(), p.max());
    c.close();
    ctx.endFunction();
    return 0;
  }
}
