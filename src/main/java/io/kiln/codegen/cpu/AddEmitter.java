package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.AddRequant;

/**
 * Emits an int8 Add of two same-shaped tensors with TFLM's scheme: both inputs shifted left by
 * 20 bits, rescaled to twice the larger input scale, summed, then requantized to the output.
 */
final class AddEmitter {
  private AddEmitter() {}

  static long emit(LayerContext ctx, Op.Add op) {
    ctx.requireType(Op.Add.LHS, DType.INT8);
    ctx.requireType(Op.Add.RHS, DType.INT8);
    ctx.requireOutType(DType.INT8);
    if (!ctx.in(Op.Add.LHS).shape().equals(ctx.in(Op.Add.RHS).shape())
        || !ctx.in(Op.Add.LHS).shape().equals(ctx.out().shape())) {
      throw ctx.unsupported("broadcasting (" + ctx.in(Op.Add.LHS).shape() + " + "
          + ctx.in(Op.Add.RHS).shape() + ")");
    }
    AddRequant p = AddRequant.add(ctx.in(Op.Add.LHS), ctx.in(Op.Add.RHS), ctx.out(), op.act(),
        ctx.where());
    CSource c = ctx.src();
    ctx.beginFunction("add", new int[] {Op.Add.LHS, Op.Add.RHS}, new String[] {"lhs", "rhs"});
    c.open("for (int i = 0; i < %d; ++i)", ctx.out().elements());
    c.line("/* |offset input| <= 255, so shifting by %d bits stays below 2^28. */", p.leftShift());
    c.line("const int32_t a = kiln_mbqm((lhs[i]%s) * %d, %s, %d);", CSource.plus(p.input1Offset()),
        1 << p.leftShift(), CSource.intLiteral(p.input1().multiplier()), p.input1().shift());
    c.line("const int32_t b = kiln_mbqm((rhs[i]%s) * %d, %s, %d);", CSource.plus(p.input2Offset()),
        1 << p.leftShift(), CSource.intLiteral(p.input2().multiplier()), p.input2().shift());
    c.line("int32_t v = kiln_mbqm(a + b, %s, %d)%s;", CSource.intLiteral(p.output().multiplier()),
        p.output().shift(), CSource.plus(p.outputOffset()));
    c.line("v = v < %d ? %d : v;", p.range().min(), p.range().min());
    c.line("out[i] = (int8_t)(v > %d ? %d : v);", p.range().max(), p.range().max());
    c.close();
    ctx.endFunction();
    return 0;
  }
}
