package io.kiln.interp;

import io.kiln.quant.HardSwishRequant;
import io.kiln.quant.PreluRequant;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Value;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.HardSwishRequant;
import io.kiln.quant.PreluRequant;

/**
 * Float element-wise arithmetic and activations that ONNX models use beyond TFLite's set (Div,
 * Maximum, Minimum, Pow, PRelu, Clip, HardSigmoid, HardSwish, Elu, Abs, Neg, Exp, Log, Sqrt,
 * Identity), with plain-integer variants where the operator is exact on integers.
 */
final class MathKernels {
  private MathKernels() {}

  /** A float binary function; Java has none in java.util.function. */
  @FunctionalInterface
  private interface FloatOp {
    float apply(float a, float b);
  }

  @FunctionalInterface
  private interface FloatUnary {
    float apply(float x);
  }

  @FunctionalInterface
  private interface LongOp {
    long apply(long a, long b);
  }

  static Kernel div(Graph g, Node n, Op.Div op) {
    Value out = g.output(n);
    if (out.dtype() == DType.FLOAT32) {
      ActivationRange.Floats r = ActivationRange.Floats.of(op.act(), ConvKernels.where(g, n));
      return binaryFloat(g, n, (a, b) -> r.clamp(a / b));
    }
    if (op.act() != Op.Activation.NONE) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    // Integer division truncates toward zero, as C and ONNX's reference do.
    return binaryInteger(g, n, (a, b) -> {
      if (b == 0) {
        throw ElementwiseSupport.fail(g, n, "integer division by zero");
      }
      return a / b;
    });
  }

  static Kernel maximum(Graph g, Node n, Op.Maximum op) {
    return g.output(n).dtype() == DType.FLOAT32 ? binaryFloat(g, n, MathKernels::max)
        : binaryInteger(g, n, Math::max);
  }

  static Kernel minimum(Graph g, Node n, Op.Minimum op) {
    return g.output(n).dtype() == DType.FLOAT32 ? binaryFloat(g, n, MathKernels::min)
        : binaryInteger(g, n, Math::min);
  }

  static Kernel pow(Graph g, Node n, Op.Pow op) {
    requireFloat(g, n);
    return binaryFloat(g, n, (a, b) -> (float) Math.pow(a, b));
  }

  static Kernel prelu(Graph g, Node n, Op.PRelu op) {
    Value in = g.input(n, Op.PRelu.INPUT);
    Value alphas = g.input(n, Op.PRelu.SLOPE);
    Value out = g.output(n);
    if ((in.dtype() == DType.INT8 || in.dtype() == DType.INT16) && in.dtype() == out.dtype()
        && alphas.dtype() == DType.INT8 && in.quant() instanceof Quantization.PerTensor pi
        && alphas.quant() instanceof Quantization.PerTensor ps
        && out.quant() instanceof Quantization.PerTensor po) {
      PreluRequant p = PreluRequant.of(pi.scale(), (int) pi.zeroPoint(), ps.scale(),
          (int) ps.zeroPoint(), po.scale(), (int) po.zeroPoint(), (int) out.dtype().min(),
          (int) out.dtype().max());
      BroadcastIndex bc = BroadcastIndex.of(in.shape(), alphas.shape(), out.shape());
      return inputs -> {
        int[] x = inputs[0].ints;
        int[] a = inputs[1].ints;
        int[] o = new int[bc.lhs().length];
        for (int i = 0; i < o.length; i++) {
          o[i] = preluQuantized(p, x[bc.lhs()[i]], a[bc.rhs()[i]]);
        }
        return Tensor.ofInts(out.dtype(), out.shape(), o);
      };
    }
    requireFloat(g, n);
    return binaryFloat(g, n, (x, slope) -> x < 0f ? slope * x : x);
  }

  /** The integer run step (a named method, so the float-free bytecode check can find it). */
  static int preluQuantized(PreluRequant p, int x, int alpha) {
    return p.apply(x, alpha);
  }

  static Kernel clip(Graph g, Node n, Op.Clip op) {
    if (g.output(n).dtype() == DType.FLOAT32) {
      // ONNX applies max first, then min, so min > max yields max everywhere.
      return unaryFloat(g, n, x -> Math.min(Math.max(x, op.min()), op.max()));
    }
    requirePlainInteger(g, n);
    // Real bounds on exact integers: round inward, so the clamp keeps only values within them.
    long lo = op.min() == Float.NEGATIVE_INFINITY ? Long.MIN_VALUE : (long) Math.ceil(op.min());
    long hi = op.max() == Float.POSITIVE_INFINITY ? Long.MAX_VALUE : (long) Math.floor(op.max());
    return unaryInteger(g, n, x -> Math.min(Math.max(x, lo), hi));
  }

  static Kernel hardSigmoid(Graph g, Node n, Op.HardSigmoid op) {
    requireFloat(g, n);
    return unaryFloat(g, n, x -> Math.max(0f, Math.min(1f, op.alpha() * x + op.beta())));
  }

  static Kernel hardSwish(Graph g, Node n, Op.HardSwish op) {
    Value in = g.input(n, 0);
    Value out = g.output(n);
    if ((in.dtype() == DType.INT8 || in.dtype() == DType.UINT8) && in.dtype() == out.dtype()
        && in.quant() instanceof Quantization.PerTensor pi
        && out.quant() instanceof Quantization.PerTensor po) {
      HardSwishRequant p = HardSwishRequant.of(pi.scale(), (int) pi.zeroPoint(), po.scale(),
          (int) po.zeroPoint(), (int) out.dtype().min(), (int) out.dtype().max(),
          "HardSwish '" + out.name() + "'");
      return unaryInteger(g, n, x -> p.apply((int) x));
    }
    requireFloat(g, n);
    float sixth = 1f / 6f;
    return unaryFloat(g, n, x -> x * Math.max(0f, Math.min(1f, sixth * x + 0.5f)));
  }

  static Kernel elu(Graph g, Node n, Op.Elu op) {
    requireFloat(g, n);
    return unaryFloat(g, n, x -> x > 0f ? x : (float) (op.alpha() * (Math.exp(x) - 1.0)));
  }

  static Kernel abs(Graph g, Node n, Op.Abs op) {
    if (g.output(n).dtype() == DType.FLOAT32) {
      return unaryFloat(g, n, Math::abs);
    }
    requirePlainInteger(g, n);
    return unaryInteger(g, n, Math::abs);
  }

  static Kernel neg(Graph g, Node n, Op.Neg op) {
    if (g.output(n).dtype() == DType.FLOAT32) {
      return unaryFloat(g, n, x -> -x);
    }
    requirePlainInteger(g, n);
    return unaryInteger(g, n, x -> -x);
  }

  static Kernel exp(Graph g, Node n, Op.Exp op) {
    requireFloat(g, n);
    return unaryFloat(g, n, x -> (float) Math.exp(x));
  }

  static Kernel log(Graph g, Node n, Op.Log op) {
    requireFloat(g, n);
    return unaryFloat(g, n, x -> (float) Math.log(x));
  }

  static Kernel sqrt(Graph g, Node n, Op.Sqrt op) {
    requireFloat(g, n);
    // The square root of a float computed in double and rounded once is the correctly rounded
    // float square root.
    return unaryFloat(g, n, x -> (float) Math.sqrt(x));
  }

  static Kernel identity(Graph g, Node n, Op.Identity op) {
    Value in = g.input(n, Op.Identity.INPUT);
    if (!in.type().equals(g.output(n).type())) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    return inputs -> inputs[0];
  }

  // NaN-propagating like numpy's maximum/minimum.
  private static float max(float a, float b) {
    return Math.max(a, b);
  }

  private static float min(float a, float b) {
    return Math.min(a, b);
  }

  private static Kernel binaryFloat(Graph g, Node n, FloatOp f) {
    Value a = g.input(n, 0);
    Value b = g.input(n, 1);
    Value out = g.output(n);
    if (a.dtype() != DType.FLOAT32 || b.dtype() != DType.FLOAT32) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    BroadcastIndex bc = BroadcastIndex.of(a.shape(), b.shape(), out.shape());
    return in -> {
      float[] x = in[0].floats;
      float[] y = in[1].floats;
      float[] o = new float[bc.lhs().length];
      for (int i = 0; i < o.length; i++) {
        o[i] = f.apply(x[bc.lhs()[i]], y[bc.rhs()[i]]);
      }
      return Tensor.ofFloats(out.shape(), o);
    };
  }

  /**
   * Integer binary ops on raw values: both operands and the output must share one dtype and
   * quantization (then the raw op is the real op for max/min; for div only plain integers).
   * Computed in long, so no intermediate overflows; results outside the dtype are an error.
   */
  private static Kernel binaryInteger(Graph g, Node n, LongOp f) {
    Value a = g.input(n, 0);
    Value b = g.input(n, 1);
    Value out = g.output(n);
    if (!a.type().dtype().isInteger() || !a.quant().equals(out.quant())
        || !b.quant().equals(out.quant()) || a.dtype() != out.dtype()
        || b.dtype() != out.dtype()) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    BroadcastIndex bc = BroadcastIndex.of(a.shape(), b.shape(), out.shape());
    DType dt = out.dtype();
    return in -> {
      Tensor o = Tensor.zeros(dt, out.shape());
      for (int i = 0; i < bc.lhs().length; i++) {
        long r = f.apply(get(in[0], bc.lhs()[i]), get(in[1], bc.rhs()[i]));
        set(o, i, r, g, n);
      }
      return o;
    };
  }

  private static Kernel unaryFloat(Graph g, Node n, FloatUnary f) {
    Value out = g.output(n);
    if (g.input(n, 0).dtype() != DType.FLOAT32) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    return in -> {
      float[] x = in[0].floats;
      float[] o = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        o[i] = f.apply(x[i]);
      }
      return Tensor.ofFloats(out.shape(), o);
    };
  }

  private static Kernel unaryInteger(Graph g, Node n, java.util.function.LongUnaryOperator f) {
    Value out = g.output(n);
    DType dt = out.dtype();
    return in -> {
      Tensor o = Tensor.zeros(dt, out.shape());
      for (int i = 0; i < o.elements(); i++) {
        set(o, i, f.applyAsLong(get(in[0], i)), g, n);
      }
      return o;
    };
  }

  private static void requireFloat(Graph g, Node n) {
    if (g.output(n).dtype() != DType.FLOAT32 || g.input(n, 0).dtype() != DType.FLOAT32) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }

  private static void requirePlainInteger(Graph g, Node n) {
    Value in = g.input(n, 0);
    Value out = g.output(n);
    if (!in.dtype().isInteger() || in.dtype() != out.dtype() || in.quant().isQuantized()
        || out.quant().isQuantized()) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }

  private static long get(Tensor t, int i) {
    return t.dtype == DType.INT64 ? t.longs[i] : t.ints[i];
  }

  private static void set(Tensor t, int i, long v, Graph g, Node n) {
    if (t.dtype == DType.INT64) {
      t.longs[i] = v;
      return;
    }
    if (v < t.dtype.min() || v > t.dtype.max()) {
      throw new KilnException(n.op().opName() + " '" + g.output(n).name() + "': result " + v
          + " overflows " + t.dtype.shortName());
    }
    t.ints[i] = (int) v;
  }
}
