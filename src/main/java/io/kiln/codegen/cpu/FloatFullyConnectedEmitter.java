package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.ActivationRange;

/**
 * Emits a float32 FullyConnected layer in the interpreter's (and TFLM's reference) order: each
 * dot product summed from the first element to the last in float, then the bias, then the
 * activation clamp. With {@code -std=c99} gcc contracts no multiply-add, so on IEEE hardware the
 * result is the interpreter's bit for bit.
 */
final class FloatFullyConnectedEmitter {
  private FloatFullyConnectedEmitter() {}

  static long emit(LayerContext ctx, Op.FullyConnected op) {
    ctx.requireType(Op.FullyConnected.INPUT, DType.FLOAT32);
    ctx.requireType(Op.FullyConnected.WEIGHTS, DType.FLOAT32);
    ctx.requireOutType(DType.FLOAT32);
    if (ctx.has(Op.FullyConnected.BIAS)) {
      ctx.requireType(Op.FullyConnected.BIAS, DType.FLOAT32);
    }
    int units = ctx.in(Op.FullyConnected.WEIGHTS).shape().dim(0);
    int depth = ctx.in(Op.FullyConnected.WEIGHTS).shape().dim(1);
    int batches = ctx.in(Op.FullyConnected.INPUT).elements() / depth;
    if ((long) batches * depth != ctx.in(Op.FullyConnected.INPUT).elements()
        || ctx.out().elements() != batches * units) {
      throw ctx.unsupported("input " + ctx.in(Op.FullyConnected.INPUT).shape()
          + " that does not flatten onto weights " + ctx.in(Op.FullyConnected.WEIGHTS).shape());
    }
    ActivationRange.Floats range = ActivationRange.Floats.of(op.act(), ctx.where());
    String weights = ctx.constant(Op.FullyConnected.WEIGHTS);
    String bias = ctx.has(Op.FullyConnected.BIAS) ? ctx.constant(Op.FullyConnected.BIAS) : null;
    CSource c = ctx.src();
    ctx.beginFunction("fully_connected_f32", new int[] {Op.FullyConnected.INPUT},
        new String[] {"in"});
    c.open("for (int b = 0; b < %d; ++b)", batches);
    c.open("for (int oc = 0; oc < %d; ++oc)", units);
    c.line("const float *w = %s + oc * %d;", weights, depth);
    c.line("const float *x = in + b * %d;", depth);
    c.line("float total = 0.0f;");
    c.open("for (int i = 0; i < %d; ++i)", depth);
    c.line("total += x[i] * w[i];");
    c.close();
    c.line("float v = total + %s;", bias == null ? "0.0f" : bias + "[oc]");
    // std::min(std::max(v, lo), hi), spelled so that -0.0 and NaN pass through as in TFLM.
    c.line("v = v < %s ? %s : v;", CSource.floatLiteral(range.min()),
        CSource.floatLiteral(range.min()));
    c.line("out[oc + b * %d] = %s < v ? %s : v;", units, CSource.floatLiteral(range.max()),
        CSource.floatLiteral(range.max()));
    c.close();
    c.close();
    ctx.endFunction();
    return (long) batches * units * depth;
  }
}
