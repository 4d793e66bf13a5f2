package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.FixedPoint;

/**
 * Emits a Quantize between integer types other than int8 to int8 (which {@link QuantizeEmitter}
 * handles): TFLM's Requantize, {@code (x - zp_in)} rescaled by input_scale / output_scale, plus
 * zp_out, clamped to the output type. The subtraction and the left shift are written unsigned,
 * so that they wrap as TFLM's int32 arithmetic does and C defines them.
 */
final class RequantizeEmitter {
  private RequantizeEmitter() {}

  static boolean handles(LayerContext ctx, Op.Quantize op) {
    DType in = ctx.in(Op.Quantize.INPUT).dtype();
    DType out = ctx.out().dtype();
    return op.scheme() == io.kiln.ir.RequantScheme.FIXED_POINT && integer(in) && integer(out)
        && !(in == DType.INT8 && out == DType.INT8);
  }

  private static boolean integer(DType d) {
    return d == DType.INT8 || d == DType.INT16 || d == DType.INT32;
  }

  static long emit(LayerContext ctx, Op.Quantize op) {
    DType out = ctx.out().dtype();
    double real = (double) ctx.in(Op.Quantize.INPUT).quant().scale()
        / (double) ctx.out().quant().scale();
    FixedPoint.QuantizedMultiplier m = FixedPoint.quantizeMultiplier(real);
    long zi = ctx.in(Op.Quantize.INPUT).quant().zeroPoint();
    long zo = ctx.out().quant().zeroPoint();
    CSource c = ctx.src();
    ctx.beginFunction("requantize", new int[] {Op.Quantize.INPUT}, new String[] {"in"});
    c.open("for (int i = 0; i < %d; ++i)", ctx.out().elements());
    c.line("const int32_t x = (int32_t)((uint32_t)(int32_t)in[i] - (uint32_t)%s);",
        CSource.intLiteral(zi));
    String shifted = m.shift() > 0 ? "(int32_t)((uint32_t)x << " + m.shift() + ")" : "x";
    // TFLM adds the output zero point in int32 (wrapping like this unsigned sum), then clamps.
    c.line("int32_t v = (int32_t)((uint32_t)kiln_rdbp(kiln_srdhm(%s, %s), %d) + (uint32_t)%s);",
        shifted, CSource.intLiteral(m.multiplier()), Math.max(0, -m.shift()),
        CSource.intLiteral(zo));
    if (out != DType.INT32) {
      c.line("v = v < %d ? %d : v;", out.min(), out.min());
      c.line("v = v > %d ? %d : v;", out.max(), out.max());
    }
    c.line("out[i] = (%s)v;", CSource.ctype(out));
    c.close();
    ctx.endFunction();
    return 0;
  }
}
