package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.SoftmaxParams;

/**
 * Emits an int8 Softmax over the last axis as a call to the runtime's TFLite-exact integer
 * softmax, with the beta multiplier and the smallest kept difference computed here.
 */
final class SoftmaxEmitter {
  private SoftmaxEmitter() {}

  static long emit(LayerContext ctx, Op.Softmax op) {
    ctx.requireType(Op.Softmax.INPUT, DType.INT8);
    ctx.requireOutType(DType.INT8);
    if (ctx.out().quant().zeroPoint() != -128 || ctx.out().quant().scale() != 1f / 256) {
      throw ctx.unsupported("output quantization " + ctx.out().quant()
          + " (TFLite requires scale 1/256, zero point -128)");
    }
    SoftmaxParams p = SoftmaxParams.int8(op.beta(), ctx.in(Op.Softmax.INPUT), ctx.where());
    int depth = ctx.out().shape().dim(-1);
    int rows = ctx.out().elements() / depth;
    ctx.beginFunction("softmax", new int[] {Op.Softmax.INPUT}, new String[] {"in"});
    ctx.src().line("kiln_softmax_i8(in, out, %d, %d, %s, %d, %d);", rows, depth,
        CSource.intLiteral(p.inputBeta().multiplier()), p.inputBeta().shift(), p.diffMin());
    ctx.endFunction();
    return 0;
  }
}
