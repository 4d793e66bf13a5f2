package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.FixedPoint;

/**
 * Emits Quantize (float32 to int8, or int8 to int8 with a new scale) and Dequantize (int8 to
 * float32) with TFLM's reference arithmetic; these are the only float code in integer models.
 */
final class QuantizeEmitter {
  private QuantizeEmitter() {}

  static long quantize(LayerContext ctx, Op.Quantize op) {
    ctx.requireOutType(DType.INT8);
    int n = ctx.out().elements();
    int zp = (int) ctx.out().quant().zeroPoint();
    CSource c = ctx.src();
    switch (ctx.in(Op.Quantize.INPUT).dtype()) {
      case FLOAT32 -> {
        ctx.beginFunction("quantize", new int[] {Op.Quantize.INPUT}, new String[] {"in"});
        c.open("for (int i = 0; i < %d; ++i)", n);
        c.line("/* TFLite: float division by the scale, roundf, then the zero point. */");
        c.line("int32_t v = (int32_t)roundf(in[i] / %s)%s;",
            CSource.floatLiteral(ctx.out().quant().scale()), CSource.plus(zp));
      }
      case INT8 -> {
        double real = (double) ctx.in(Op.Quantize.INPUT).quant().scale()
            / (double) ctx.out().quant().scale();
        FixedPoint.QuantizedMultiplier m = FixedPoint.quantizeMultiplier(real);
        ctx.beginFunction("requantize", new int[] {Op.Quantize.INPUT}, new String[] {"in"});
        c.open("for (int i = 0; i < %d; ++i)", n);
        c.line("int32_t v = kiln_mbqm(in[i]%s, %s, %d)%s;",
            CSource.plus(-ctx.in(Op.Quantize.INPUT).quant().zeroPoint()),
            CSource.intLiteral(m.multiplier()), m.shift(), CSource.plus(zp));
      }
      default -> throw ctx.unsupported(ctx.in(Op.Quantize.INPUT).dtype().shortName() + " input");
    }
    c.line("v = v < -128 ? -128 : v;");
    c.line("out[i] = (int8_t)(v > 127 ? 127 : v);");
    c.close();
    ctx.endFunction();
    return 0;
  }

  static long dequantize(LayerContext ctx, Op.Dequantize op) {
    ctx.requireType(Op.Dequantize.INPUT, DType.INT8);
    ctx.requireOutType(DType.FLOAT32);
    CSource c = ctx.src();
    ctx.beginFunction("dequantize", new int[] {Op.Dequantize.INPUT}, new String[] {"in"});
    c.open("for (int i = 0; i < %d; ++i)", ctx.out().elements());
    c.line("/* TFLite multiplies in double by the float scale, then narrows. */");
    c.line("out[i] = (float)(%s * (double)(in[i]%s));",
        CSource.doubleLiteral(ctx.in(Op.Dequantize.INPUT).quant().scale()),
        CSource.plus(-ctx.in(Op.Dequantize.INPUT).quant().zeroPoint()));
    c.close();
    ctx.endFunction();
    return 0;
  }
}
