package io.kiln.ir;

import java.util.List;

/**
 * The invariants of what target-exact lowering writes, for {@link Verifier}: a shift output
 * stage has one shift per output channel of a weighted operator (two for an Add, one for an
 * average pooling), int8 activations and a clamp inside int8; a ternary constant is i8 holding
 * only -1, 0 and +1.
 */
final class StageRules {
  private StageRules() {}

  static void check(Op op, List<TensorType> ins, TensorType out, String where, List<String> p) {
    if (!(Op.requant(op).orElse(Requant.TFLITE) instanceof Requant.Shift s)) {
      return;
    }
    int expected = switch (op) {
      case Op.Conv2D c -> ins.get(Op.Conv2D.FILTER).shape().dim(0);
      case Op.DepthwiseConv2D d -> ins.get(Op.DepthwiseConv2D.FILTER).shape().dim(3);
      case Op.FullyConnected f -> ins.get(Op.FullyConnected.WEIGHTS).shape().dim(0);
      case Op.Add a -> 2;
      default -> 1;
    };
    if (s.shifts().size() != expected) {
      p.add(where + " shift stage has " + s.shifts().size() + " shifts, expected " + expected);
    }
    for (TensorType t : ins.subList(0, op instanceof Op.Add ? 2 : 1)) {
      if (t.dtype() != DType.INT8) {
        p.add(where + " shift stage reads " + t.dtype().shortName() + ", expected i8");
      }
    }
    if (out.dtype() != DType.INT8) {
      p.add(where + " shift stage writes " + out.dtype().shortName() + ", expected i8");
    }
    if (s.clampMin() < -128 || s.clampMax() > 127) {
      p.add(where + " shift stage clamp [" + s.clampMin() + ", " + s.clampMax()
          + "] exceeds i8");
    }
    if (!(op instanceof Op.Conv2D || op instanceof Op.DepthwiseConv2D
        || op instanceof Op.FullyConnected) && (s.inputBits() != 8 || s.inputShift() != 0)) {
      p.add(where + " narrows its inputs, which only a weighted operator's array does");
    }
  }

  /** A constant's encoding against its element type and values. */
  static void check(Value v, List<String> p) {
    if (v.type().encoding() instanceof Encoding.NM nm) {
      checkSparse(v, nm, p);
      return;
    }
    if (!(v.type().encoding() instanceof Encoding.Ternary)) {
      return;
    }
    String where = "value %" + v.id();
    if (v.dtype() != DType.INT8) {
      p.add(where + " is ternary but " + v.dtype().shortName() + ", expected i8");
      return;
    }
    if (!v.isConstant()) {
      p.add(where + " is ternary but not a constant");
      return;
    }
    for (int x : v.data().asInts(DType.INT8)) {
      if (x < -1 || x > 1) {
        p.add(where + " is ternary but holds " + x);
        return;
      }
    }
  }

  /** N:M weights: i8 constants of rank 2 or more whose every group keeps at most N. */
  private static void checkSparse(Value v, Encoding.NM nm, List<String> p) {
    String where = "value %" + v.id();
    if (v.dtype() != DType.INT8 || !v.isConstant() || v.shape().rank() < 2) {
      p.add(where + " is " + nm + " sparse but not an i8 constant of rank 2 or more");
      return;
    }
    if (!NmWeights.follows(v.data().asInts(DType.INT8), v.shape().dim(0), nm)) {
      p.add(where + " is " + nm + " sparse but a group holds more than " + nm.n()
          + " non-zero weights");
    }
  }
}
