package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.AddRequant;

/**
 * Emits an int8 or int16 Add or Sub (operands equal to the output, scalars or trailing
 * broadcasts, see {@link TrailingBroadcast}) with TFLM's scheme: both inputs
 * shifted left (20 bits for int8, 15 for int16), rescaled to twice the larger input scale,
 * summed or subtracted, then requantized to the output.
 */
final class AddEmitter {
  private AddEmitter() {}

  static long emit(LayerContext ctx, Op.Add op) {
    return emit(ctx, op.act(), false);
  }

  static long sub(LayerContext ctx, Op.Sub op) {
    return emit(ctx, op.act(), true);
  }

  private static long emit(LayerContext ctx, Op.Activation act, boolean subtract) {
    DType dt = ctx.in(Op.Add.LHS).dtype();
    if (dt != DType.INT8 && dt != DType.INT16) {
      throw ctx.unsupported(dt.shortName() + " input 0");
    }
    ctx.requireType(Op.Add.RHS, dt);
    ctx.requireOutType(dt);
    String li = TrailingBroadcast.index(ctx.in(Op.Add.LHS).shape(), ctx.out().shape(), "i");
    String ri = TrailingBroadcast.index(ctx.in(Op.Add.RHS).shape(), ctx.out().shape(), "i");
    if (li == null || ri == null) {
      throw ctx.unsupported("broadcasting (" + ctx.in(Op.Add.LHS).shape() + (subtract ? " - "
          : " + ") + ctx.in(Op.Add.RHS).shape() + ")");
    }
    // The index expressions go into format strings below.
    li = li.replace("%", "%%");
    ri = ri.replace("%", "%%");
    AddRequant p = subtract
        ? AddRequant.sub(ctx.in(Op.Add.LHS), ctx.in(Op.Add.RHS), ctx.out(), act, ctx.where())
        : AddRequant.add(ctx.in(Op.Add.LHS), ctx.in(Op.Add.RHS), ctx.out(), act, ctx.where());
    CSource c = ctx.src();
    ctx.beginFunction(subtract ? "sub" : "add", new int[] {Op.Add.LHS, Op.Add.RHS},
        new String[] {"lhs", "rhs"});
    c.open("for (int i = 0; i < %d; ++i)", ctx.out().elements());
    if (dt == DType.INT8) {
      c.line("/* |offset input| <= 255, so shifting by %d bits stays below 2^28. */",
          p.leftShift());
      c.line("const int32_t a = kiln_mbqm((lhs[" + li + "]%s) * %d, %s, %d);",
          CSource.plus(p.input1Offset()), 1 << p.leftShift(),
          CSource.intLiteral(p.input1().multiplier()), p.input1().shift());
      c.line("const int32_t b = kiln_mbqm((rhs[" + ri + "]%s) * %d, %s, %d);",
          CSource.plus(p.input2Offset()), 1 << p.leftShift(),
          CSource.intLiteral(p.input2().multiplier()), p.input2().shift());
    } else {
      // An int16 offset input shifted by 15 bits may pass 2^31 when the zero point is not 0;
      // TFLM's int32 multiply wraps, and so does this unsigned shift, which C defines.
      c.line("const int32_t a = kiln_mbqm((int32_t)((uint32_t)(lhs[" + li
          + "]%s) << %d), %s, %d);",
          CSource.plus(p.input1Offset()), p.leftShift(),
          CSource.intLiteral(p.input1().multiplier()), p.input1().shift());
      c.line("const int32_t b = kiln_mbqm((int32_t)((uint32_t)(rhs[" + ri
          + "]%s) << %d), %s, %d);",
          CSource.plus(p.input2Offset()), p.leftShift(),
          CSource.intLiteral(p.input2().multiplier()), p.input2().shift());
    }
    c.line("int32_t v = kiln_mbqm(a %s b, %s, %d)%s;", subtract ? "-" : "+",
        CSource.intLiteral(p.output().multiplier()), p.output().shift(),
        CSource.plus(p.outputOffset()));
    c.line("v = v < %d ? %d : v;", p.range().min(), p.range().min());
    c.line("out[i] = (%s)(v > %d ? %d : v);", CSource.ctype(dt), p.range().max(),
        p.range().max());
    c.close();
    ctx.endFunction();
    return 0;
  }
}
