package io.kiln.codegen.accel;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Requant;
import io.kiln.ir.TensorType;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.AddRequant;
import io.kiln.quant.ShiftAdd;
import java.util.List;
import java.util.Map;

/**
 * The {@code kiln_job} fields of the stages fused into a convolution's calls (kiln_hal.h): a
 * residual Add of the skip tile, then a pooling of whole windows, each with the output stage the
 * lowered graph gives it (TFLite's fixed point, or a shift-only stage).
 */
final class FusedStages {
  private FusedStages() {}

  static void fields(Map<String, Long> f, Graph g, Node conv, List<Node> fused) {
    long[] add = new long[10];
    long[] pool = new long[9];
    int current = conv.output();
    for (Node s : fused) {
      String where = s.op().opName() + " %" + s.output() + " fused into %" + conv.output();
      switch (s.op()) {
        case Op.Add a -> add = add(g, s, a, current, where, f);
        case Op.MaxPool2D p -> pool = pool(1, p.filterH(), p.filterW(), p.act(), g.input(s, 0).type(),
            g.output(s).type(), null, where);
        case Op.AveragePool2D p -> pool = pool(2, p.filterH(), p.filterW(), p.act(), g.input(s, 0).type(),
            g.output(s).type(), p.requant() instanceof Requant.Shift sh ? sh : null, where);
        default -> throw new KilnException("cannot fuse " + where);
      }
      current = s.output();
    }
    String[] addNames = {"fuse_add", "conv_is_lhs", "sadd_stage", "sadd_lhs_shift", "sadd_rhs_shift", "sadd_lhs_zp",
        "sadd_rhs_zp", "sadd_out_zp", "sadd_min", "sadd_max"};
    for (int i = 0; i < addNames.length; i++) {
      f.put(addNames[i], add[i]);
    }
    String[] poolNames = {"pool_kind", "pool_y", "pool_x", "pool_stage", "pool_shift", "pool_in_zp", "pool_out_zp",
        "pool_min", "pool_max"};
    for (int i = 0; i < poolNames.length; i++) {
      f.put(poolNames[i], pool[i]);
    }
  }

  private static long[] add(Graph g, Node s, Op.Add a, int conv, String where, Map<String, Long> f) {
    boolean convIsLhs = s.input(Op.Add.LHS) == conv;
    TensorType lhs = g.input(s, Op.Add.LHS).type();
    TensorType rhs = g.input(s, Op.Add.RHS).type();
    TensorType out = g.output(s).type();
    if (a.requant() instanceof Requant.Shift sh) {
      ShiftAdd p = ShiftAdd.prepare(sh, lhs, rhs, out, where);
      return new long[] {2, convIsLhs ? 1 : 0, stage(p.rounding()), p.lhsShift(), p.rhsShift(), p.lhsZeroPoint(),
          p.rhsZeroPoint(), p.outputZeroPoint(), p.clampMin(), p.clampMax()};
    }
    // TFLite's scheme: the add_* fields take the lhs as "in" and the rhs as "opd".
    AddRequant p = AddRequant.add(lhs, rhs, out, a.act(), where);
    Jobs.addRequant(f, p);
    return new long[] {1, convIsLhs ? 1 : 0, 0, 0, 0, 0, 0, p.outputOffset(), p.range().min(), p.range().max()};
  }

  private static long[] pool(int kind, int py, int px, Op.Activation act, TensorType in, TensorType out,
      Requant.Shift shift, String where) {
    int count = py * px;
    long inZp = in.quant().isQuantized() ? in.quant().zeroPoint() : 0;
    if (shift != null) {
      if (Integer.bitCount(count) != 1) {
        throw new KilnException(where + ": a window of " + count + " elements cannot be averaged by a shift");
      }
      return new long[] {kind, py, px, stage(shift.rounding()), shift.shift(0) + Integer.numberOfTrailingZeros(count),
          inZp, out.quant().zeroPoint(), shift.clampMin(), shift.clampMax()};
    }
    ActivationRange r = ActivationRange.quantized(act, out, where);
    return new long[] {kind, py, px, 0, -1, 0, 0, r.min(), r.max()};
  }

  private static long stage(Requant.Rounding r) {
    return r == Requant.Rounding.FLOOR ? Jobs.SHIFT_FLOOR : Jobs.SHIFT_HALF_UP;
  }
}
