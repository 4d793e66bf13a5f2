package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.ConvRequant;

/**
 * Emits an int8 FullyConnected layer: the input row widened once to int16 with its offset, dot
 * products over contiguous weight rows several units at a time, then a requantization loop.
 */
final class FullyConnectedEmitter {
  private FullyConnectedEmitter() {}

  static long emit(LayerContext ctx, Op.FullyConnected op) {
    ctx.requireType(Op.FullyConnected.INPUT, DType.INT8);
    ctx.requireType(Op.FullyConnected.WEIGHTS, DType.INT8);
    ctx.requireOutType(DType.INT8);
    if (ctx.has(Op.FullyConnected.BIAS)) {
      ctx.requireType(Op.FullyConnected.BIAS, DType.INT32);
    }
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
    String weights = ctx.constant(Op.FullyConnected.WEIGHTS);
    String bias = ctx.has(Op.FullyConnected.BIAS) ? ctx.constant(Op.FullyConnected.BIAS) : null;
    int inOffset = (int) -ctx.in(Op.FullyConnected.INPUT).quant().zeroPoint();
    // TFLM applies the (normally zero) weight zero point only for per-tensor weights.
    var wq = ctx.in(Op.FullyConnected.WEIGHTS).quant();
    int weightOffset = wq instanceof io.kiln.ir.Quantization.PerTensor p ? (int) -p.zeroPoint() : 0;

    CSource c = ctx.src();
    ctx.beginFunction("fully_connected", new int[] {Op.FullyConnected.INPUT},
        new String[] {"in"});
    if (weightOffset != 0) {
      // Asymmetric weights are rare (TFLM's per-tensor path only): plain loops suffice.
      c.open("for (int b = 0; b < %d; ++b)", batches);
      c.line("const int8_t *x = in + b * %d;", depth);
      c.open("for (int u = 0; u < %d; ++u)", units);
      c.line("const int8_t *w = %s + u * %d;", weights, depth);
      c.line("int32_t acc = %s;", bias == null ? "0" : bias + "[u]");
      c.open("for (int i = 0; i < %d; ++i)", depth);
      c.line("acc += (w[i]%s) * (x[i]%s);", CSource.plus(weightOffset), CSource.plus(inOffset));
      c.close();
      c.line("out[b * %d + u] = %s;", units, rq.store("acc", "u"));
      c.close().close();
      ctx.endFunction();
      return (long) batches * units * depth;
    }
    c.line("/* The input row offset by its zero point: each element is in [-255, 255], so int16");
    c.line("   holds it. Stack: %d bytes with the accumulators. */", 2 * depth + 4 * units);
    c.line("int16_t xs[%d];", depth);
    c.line("int32_t acc[%d];", units);
    c.open("for (int b = 0; b < %d; ++b)", batches);
    c.line("const int8_t *x = in + b * %d;", depth);
    c.open("for (int i = 0; i < %d; ++i)", depth);
    c.line("xs[i] = (int16_t)(x[i]%s);", CSource.plus(inOffset));
    c.close();
    c.line("/* |w * x| <= 128 * 255, so the %d terms sum to at most %d in magnitude. */", depth,
        32640L * depth);
    DotProducts.emit(c, "xs", depth, units, weights, bias, "acc");
    c.open("for (int u = 0; u < %d; ++u)", units);
    c.line("out[b * %d + u] = %s;", units, rq.store("acc[u]", "u"));
    c.close();
    c.close();
    ctx.endFunction();
    return (long) batches * units * depth;
  }
}
