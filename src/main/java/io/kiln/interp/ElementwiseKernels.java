package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.AddRequant;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * Add, Sub and Mul with numpy broadcasting and a fused activation clamp, following TFLite Micro's
 * reference kernels (add_common.cc, sub_common.cc, mul_common.cc and reference/{add,sub,mul}.h).
 */
final class ElementwiseKernels {
  private ElementwiseKernels() {}

  /** Prepared quantized Mul: one multiplier for in1_scale * in2_scale / out_scale. */
  record MulParams(int input1Offset, int input2Offset, int outputOffset,
      QuantizedMultiplier output, ActivationRange range) {}

  static Kernel add(Graph g, Node n, Op.Add op) {
    return addOrSub(g, n, op.act(), false);
  }

  static Kernel sub(Graph g, Node n, Op.Sub op) {
    return addOrSub(g, n, op.act(), true);
  }

  private static Kernel addOrSub(Graph g, Node n, Op.Activation act, boolean subtract) {
    Value in1 = g.input(n, Op.Add.LHS);
    Value in2 = g.input(n, Op.Add.RHS);
    Value out = g.output(n);
    checkSameTypes(g, n, in1, in2, out);
    BroadcastIndex bc = BroadcastIndex.of(in1.shape(), in2.shape(), out.shape());
    DType dt = out.dtype();
    switch (dt) {
      case FLOAT32 -> {
        ActivationRange.Floats r = ActivationRange.Floats.of(act, ConvKernels.where(g, n));
        return in -> {
          float[] a = in[0].floats;
          float[] b = in[1].floats;
          float[] o = new float[bc.lhs().length];
          for (int i = 0; i < o.length; i++) {
            float x = a[bc.lhs()[i]];
            float y = b[bc.rhs()[i]];
            o[i] = r.clamp(subtract ? x - y : x + y);
          }
          return Tensor.ofFloats(out.shape(), o);
        };
      }
      case INT8, INT16 -> {
        String where = ConvKernels.where(g, n);
        AddRequant p = subtract ? AddRequant.sub(in1.type(), in2.type(), out.type(), act, where)
            : AddRequant.add(in1.type(), in2.type(), out.type(), act, where);
        return in -> {
          int[] a = in[0].ints;
          int[] b = in[1].ints;
          int[] o = new int[bc.lhs().length];
          for (int i = 0; i < o.length; i++) {
            o[i] = addSubQuantized(p, a[bc.lhs()[i]], b[bc.rhs()[i]], subtract);
          }
          return Tensor.ofInts(dt, out.shape(), o);
        };
      }
      case INT32 -> {
        return plainInt32(g, n, bc, act, subtract ? (x, y) -> x - y : (x, y) -> x + y);
      }
      default -> throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }

  /**
   * Unquantized int32 Add/Sub/Mul as TFLM computes them: the C int32 result (wrapping), then the
   * fused activation's integer clamp.
   */
  private static Kernel plainInt32(Graph g, Node n, BroadcastIndex bc, Op.Activation act,
      java.util.function.IntBinaryOperator f) {
    Value out = g.output(n);
    if (g.input(n, 0).quant().isQuantized() || g.input(n, 1).quant().isQuantized()
        || out.quant().isQuantized()) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    int lo = switch (act) {
      case NONE -> Integer.MIN_VALUE;
      case RELU, RELU6 -> 0;
      case RELU_N1_TO_1 -> -1;
      default -> throw ElementwiseSupport.unsupportedTypes(g, n);
    };
    int hi = switch (act) {
      case RELU6 -> 6;
      case RELU_N1_TO_1 -> 1;
      default -> Integer.MAX_VALUE;
    };
    return in -> {
      int[] a = in[0].ints;
      int[] b = in[1].ints;
      int[] o = new int[bc.lhs().length];
      for (int i = 0; i < o.length; i++) {
        o[i] = Math.max(lo, Math.min(hi, f.applyAsInt(a[bc.lhs()[i]], b[bc.rhs()[i]])));
      }
      return Tensor.ofInts(DType.INT32, out.shape(), o);
    };
  }

  /**
   * One element of TFLite's quantized Add/Sub (AddFunc / BroadcastQuantSubSlow). Overflow: the
   * offset inputs are at most 2^8 (int8) or 2^16 (int16) in magnitude and shifted left by 20 or
   * 15, so they stay below 2^30; the multipliers are below one, so the sum stays below 2^31.
   */
  static int addSubQuantized(AddRequant p, int x, int y, boolean subtract) {
    int shifted1 = (p.input1Offset() + x) * (1 << p.leftShift());
    int shifted2 = (p.input2Offset() + y) * (1 << p.leftShift());
    int scaled1 = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(shifted1,
        p.input1().multiplier(), p.input1().shift());
    int scaled2 = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(shifted2,
        p.input2().multiplier(), p.input2().shift());
    int raw = subtract ? scaled1 - scaled2 : scaled1 + scaled2;
    int rawOutput = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(raw,
        p.output().multiplier(), p.output().shift()) + p.outputOffset();
    return p.range().clamp(rawOutput);
  }

  static Kernel mul(Graph g, Node n, Op.Mul op) {
    Value in1 = g.input(n, Op.Mul.LHS);
    Value in2 = g.input(n, Op.Mul.RHS);
    Value out = g.output(n);
    checkSameTypes(g, n, in1, in2, out);
    BroadcastIndex bc = BroadcastIndex.of(in1.shape(), in2.shape(), out.shape());
    DType dt = out.dtype();
    switch (dt) {
      case FLOAT32 -> {
        ActivationRange.Floats r = ActivationRange.Floats.of(op.act(), ConvKernels.where(g, n));
        return in -> {
          float[] a = in[0].floats;
          float[] b = in[1].floats;
          float[] o = new float[bc.lhs().length];
          for (int i = 0; i < o.length; i++) {
            o[i] = r.clamp(a[bc.lhs()[i]] * b[bc.rhs()[i]]);
          }
          return Tensor.ofFloats(out.shape(), o);
        };
      }
      case INT8, INT16 -> {
        MulParams p = prepareMul(g, n, in1, in2, out, op.act());
        return in -> {
          int[] a = in[0].ints;
          int[] b = in[1].ints;
          int[] o = new int[bc.lhs().length];
          for (int i = 0; i < o.length; i++) {
            o[i] = mulQuantized(p, a[bc.lhs()[i]], b[bc.rhs()[i]]);
          }
          return Tensor.ofInts(dt, out.shape(), o);
        };
      }
      case INT32 -> {
        return plainInt32(g, n, bc, op.act(), (x, y) -> x * y);
      }
      default -> throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }

  /**
   * One element of TFLite's quantized Mul (MulElementwise). The product of two offset inputs is
   * at most 2^16 (int8) or 2^30 (int16, zero points 0) in magnitude, so it fits int32.
   */
  static int mulQuantized(MulParams p, int x, int y) {
    int product = (p.input1Offset() + x) * (p.input2Offset() + y);
    int unclamped = p.outputOffset() + FixedPoint.multiplyByQuantizedMultiplier(product,
        p.output().multiplier(), p.output().shift());
    return p.range().clamp(unclamped);
  }

  /** mul_common.cc CalculateOpDataMul: one double multiplier, int16 needs zero points of 0. */
  static MulParams prepareMul(Graph g, Node n, Value in1, Value in2, Value out,
      Op.Activation act) {
    float s1 = ElementwiseSupport.scale(g, n, in1);
    float s2 = ElementwiseSupport.scale(g, n, in2);
    float so = ElementwiseSupport.scale(g, n, out);
    int z1 = ElementwiseSupport.zeroPoint(g, n, in1);
    int z2 = ElementwiseSupport.zeroPoint(g, n, in2);
    int zo = ElementwiseSupport.zeroPoint(g, n, out);
    if (out.dtype() == DType.INT16 && (z1 != 0 || z2 != 0 || zo != 0)) {
      throw ElementwiseSupport.fail(g, n, "int16 Mul needs zero points of 0");
    }
    double real = (double) s1 * (double) s2 / (double) so;
    return new MulParams(-z1, -z2, zo, FixedPoint.quantizeMultiplier(real),
        ActivationRange.quantized(act, out.dtype(), so, zo, ConvKernels.where(g, n)));
  }

  private static void checkSameTypes(Graph g, Node n, Value in1, Value in2, Value out) {
    if (in1.dtype() != out.dtype() || in2.dtype() != out.dtype()) {
      throw new io.kiln.KilnException("the interpreter does not support " + n.op().opName()
          + " on " + in1.dtype().shortName() + ", " + in2.dtype().shortName() + " -> "
          + out.dtype().shortName() + " ('" + out.name() + "')");
    }
  }
}
