package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.quant.AddRequant;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * Emits an int8 Add of two same-shaped tensors for Helium, four elements per step in int32
 * lanes, with {@link AddEmitter}'s arithmetic (TFLM's: offset, shift left by 20, each input
 * rescaled, summed, requantized): VQRDMULH is SaturatingRoundingDoublingHighMul and
 * RoundingDivideByPOT is one add of the nudge and of the sign, then the shift (exact while the
 * values stay below 2^30, which the shift by 20 of a 9-bit value guarantees).
 */
final class MveAddEmitter {
  private MveAddEmitter() {}

  /** Why this kernel cannot take the layer, or null when it can. */
  static String rejects(LayerContext ctx) {
    if (ctx.in(Op.Add.LHS).dtype() != DType.INT8 || ctx.in(Op.Add.RHS).dtype() != DType.INT8
        || ctx.out().dtype() != DType.INT8) {
      return "types other than int8";
    }
    if (!ctx.in(Op.Add.LHS).shape().equals(ctx.in(Op.Add.RHS).shape())
        || !ctx.in(Op.Add.LHS).shape().equals(ctx.out().shape())) {
      return "broadcasting";
    }
    if (ctx.out().elements() % 4 != 0) {
      return ctx.out().elements() + " elements (not a multiple of 4)";
    }
    return null;
  }

  static long emit(LayerContext ctx, Op.Add op) {
    AddRequant p = AddRequant.add(ctx.in(Op.Add.LHS), ctx.in(Op.Add.RHS), ctx.out(), op.act(),
        ctx.where());
    ctx.kernel("mve-add", "4 elements per step in int32 lanes, VQRDMULH rescaling");
    CSource c = ctx.src();
    ctx.beginFunction("add", new int[] {Op.Add.LHS, Op.Add.RHS}, new String[] {"lhs", "rhs"});
    c.open("for (int i = 0; i < %d; i += 4)", ctx.out().elements());
    c.line("/* |offset input| <= 255, so shifting by %d bits stays below 2^28. */", p.leftShift());
    c.line("int32x4_t a = vshlq_n_s32(vaddq_n_s32(vldrbq_s32(lhs + i), %d), %d);",
        p.input1Offset(), p.leftShift());
    c.line("int32x4_t b = vshlq_n_s32(vaddq_n_s32(vldrbq_s32(rhs + i), %d), %d);",
        p.input2Offset(), p.leftShift());
    scale(c, "a", p.input1(), 0);
    scale(c, "b", p.input2(), 0);
    c.line("int32x4_t v = vaddq_s32(a, b);");
    scale(c, "v", p.output(), p.outputOffset());
    c.line("v = vmaxq_s32(vminq_s32(v, vdupq_n_s32(%d)), vdupq_n_s32(%d));", p.range().max(),
        p.range().min());
    c.line("vstrbq_s32(out + i, v);");
    c.close();
    ctx.endFunction();
    return 0;
  }

  /** {@code x = kiln_mbqm(x, m, shift) + zp}, lane by lane. */
  private static void scale(CSource c, String x, QuantizedMultiplier m, int zp) {
    int left = Math.max(m.shift(), 0);
    int right = Math.max(-m.shift(), 0);
    if (left > 0) {
      c.line("%s = vshlq_n_s32(%s, %d);", x, x, left);
    }
    c.line("%s = vqrdmulhq_n_s32(%s, %s);", x, x, CSource.intLiteral(m.multiplier()));
    if (right > 0) {
      c.line("%s = vshrq_n_s32(vaddq_s32(vaddq_n_s32(%s, %d), vshrq_n_s32(%s, 31)), %d);", x, x,
          1 << (right - 1), x, right);
    }
    if (zp != 0) {
      c.line("%s = vaddq_n_s32(%s, %d);", x, x, zp);
    }
  }
}
