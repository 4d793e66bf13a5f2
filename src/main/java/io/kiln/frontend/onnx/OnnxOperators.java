package io.kiln.frontend.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.kiln.KilnException;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Maps each ONNX operator onto Kiln IR operators. Element-wise operators, Gemm, Softmax and
 * ReduceMean are mapped here in ONNX's own layout; shape operators are in {@link OnnxShapeOps},
 * quantization operators in {@link OnnxQuantOps}, and convolution-like, pooling and
 * normalization operators in {@link OnnxSpatialOps}.
 */
final class OnnxOperators {
  private OnnxOperators() {}

  private static final Op.Activation NONE = Op.Activation.NONE;

  /** Every ONNX operator type this importer maps, for the "unknown operator" message. */
  static final List<String> SUPPORTED = List.copyOf(new TreeSet<>(List.of("Abs", "Add",
      "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv", "ConvInteger",
      "DequantizeLinear", "Div", "Elu", "Exp", "Flatten", "Gather", "Gemm", "GlobalAveragePool",
      "GlobalMaxPool", "HardSigmoid", "HardSwish", "Identity", "LeakyRelu", "Log", "MatMul",
      "MatMulInteger", "Max", "MaxPool", "Min", "Mul", "Neg", "PRelu", "Pad", "Pow",
      "QLinearConv", "QLinearMatMul", "QuantizeLinear", "ReduceMean", "Relu", "Reshape", "Shape",
      "Sigmoid", "Slice", "Softmax", "Split", "Sqrt", "Squeeze", "Sub", "Tanh", "Transpose",
      "Unsqueeze")));

  /**
   * Input slots Kiln needs to be constant: shapes, axes, pads, bounds and quantization
   * parameters, which become static attributes or tensor types in the IR.
   */
  private static final Map<String, List<Integer>> STATIC_SLOTS = Map.ofEntries(
      Map.entry("Reshape", List.of(1)), Map.entry("Pad", List.of(1, 2, 3)),
      Map.entry("Slice", List.of(1, 2, 3, 4)), Map.entry("Squeeze", List.of(1)),
      Map.entry("Unsqueeze", List.of(1)), Map.entry("Clip", List.of(1, 2)),
      Map.entry("ReduceMean", List.of(1)), Map.entry("Split", List.of(1)),
      Map.entry("QuantizeLinear", List.of(1, 2)), Map.entry("DequantizeLinear", List.of(1, 2)),
      Map.entry("QLinearConv", List.of(1, 2, 4, 5, 6, 7)),
      Map.entry("QLinearMatMul", List.of(1, 2, 4, 5, 6, 7)),
      Map.entry("ConvInteger", List.of(2, 3)), Map.entry("MatMulInteger", List.of(2, 3)));

  static List<Integer> staticSlots(String opType) {
    return STATIC_SLOTS.getOrDefault(opType, List.of());
  }

  static String where(NodeProto n, int index) {
    return "node " + index + (n.getName().isEmpty() ? "" : " '" + n.getName() + "'") + " ("
        + n.getOpType() + ")";
  }

  static void convert(ImportContext ctx, NodeProto proto, int index) {
    String where = where(proto, index);
    String domain = proto.getDomain();
    if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
      throw new KilnException(where + ": operator domain '" + domain + "' is not supported;"
          + " Kiln supports the default ai.onnx domain");
    }
    OnnxNode n = new OnnxNode(ctx, proto, where);
    switch (proto.getOpType()) {
      case "Add" -> binary(n, new Op.Add(NONE));
      case "Sub" -> binary(n, new Op.Sub(NONE));
      case "Mul" -> binary(n, new Op.Mul(NONE));
      case "Div" -> binary(n, new Op.Div(NONE));
      case "Pow" -> binary(n, new Op.Pow());
      case "PRelu" -> binary(n, new Op.PRelu());
      case "MatMul" -> binary(n, new Op.MatMul());
      case "Max" -> variadic(n, Op.Maximum::new);
      case "Min" -> variadic(n, Op.Minimum::new);
      case "Relu" -> unary(n, new Op.Relu());
      case "LeakyRelu" -> unary(n, new Op.LeakyRelu(n.attrs.f("alpha", 0.01f)));
      case "Sigmoid" -> unary(n, new Op.Logistic());
      case "Tanh" -> unary(n, new Op.Tanh());
      case "HardSigmoid" -> unary(n,
          new Op.HardSigmoid(n.attrs.f("alpha", 0.2f), n.attrs.f("beta", 0.5f)));
      case "HardSwish" -> unary(n, new Op.HardSwish());
      case "Elu" -> unary(n, new Op.Elu(n.attrs.f("alpha", 1f)));
      case "Abs" -> unary(n, new Op.Abs());
      case "Neg" -> unary(n, new Op.Neg());
      case "Exp" -> unary(n, new Op.Exp());
      case "Log" -> unary(n, new Op.Log());
      case "Sqrt" -> unary(n, new Op.Sqrt());
      case "Identity" -> unary(n, new Op.Identity());
      case "Clip" -> clip(n);
      case "Softmax" -> softmax(n);
      case "Gemm" -> gemm(n);
      case "Reshape" -> OnnxShapeOps.reshape(n);
      case "Flatten" -> OnnxShapeOps.flatten(n);
      case "Transpose" -> OnnxShapeOps.transpose(n);
      case "Squeeze" -> OnnxShapeOps.squeeze(n);
      case "Unsqueeze" -> OnnxShapeOps.unsqueeze(n);
      case "Concat" -> OnnxShapeOps.concat(n);
      case "Pad" -> OnnxShapeOps.pad(n);
      case "Slice" -> OnnxShapeOps.slice(n);
      case "Split" -> OnnxShapeOps.split(n);
      case "ReduceMean" -> reduceMean(n);
      case "Shape" -> OnnxShapeOps.shape(n);
      case "Gather" -> {
        n.singleOutput();
        int x = n.in(0);
        int rank = n.ctx.shape(x).rank();
        int axis = n.attrs.intAttr("axis", 0);
        if (axis < -rank || axis >= rank) {
          throw n.fail("axis " + axis + " is outside [" + -rank + ", " + rank + ")");
        }
        n.bind(0, n.ctx.applyLike(new Op.Gather(axis < 0 ? axis + rank : axis, 0),
            List.of(x, n.in(1)), n.out(0), x));
      }
      case "Constant" -> {
        OnnxTensors.Decoded d = constantValue(proto, where);
        n.bind(0, ctx.constant(n.out(0), new TensorType(d.dtype(), d.shape(),
            Quantization.NONE), d.data()));
      }
      case "QuantizeLinear" -> OnnxQuantOps.quantizeLinear(n);
      case "DequantizeLinear" -> OnnxQuantOps.dequantizeLinear(n);
      case "MatMulInteger" -> OnnxQuantOps.matMulInteger(n);
      case "QLinearMatMul" -> OnnxQuantOps.qlinearMatMul(n);
      case "Conv" -> OnnxSpatialOps.conv(n);
      case "ConvInteger" -> OnnxSpatialOps.convInteger(n);
      case "QLinearConv" -> OnnxSpatialOps.qlinearConv(n);
      case "MaxPool" -> OnnxSpatialOps.pool(n, true);
      case "AveragePool" -> OnnxSpatialOps.pool(n, false);
      case "GlobalAveragePool" -> OnnxSpatialOps.globalAveragePool(n);
      case "GlobalMaxPool" -> OnnxSpatialOps.globalMaxPool(n);
      case "BatchNormalization" -> OnnxSpatialOps.batchNorm(n);
      default -> throw new KilnException(where + ": unknown operator '" + proto.getOpType()
          + "'; supported: " + String.join(", ", SUPPORTED));
    }
  }

  private static void binary(OnnxNode n, Op op) {
    n.singleOutput();
    int a = n.in(0);
    int b = n.in(1);
    n.bind(0, n.ctx.applyLike(op, List.of(a, b), n.out(0), a));
  }

  private static void unary(OnnxNode n, Op op) {
    n.singleOutput();
    int x = n.in(0);
    n.bind(0, n.ctx.applyLike(op, List.of(x), n.out(0), x));
  }

  /** ONNX Max/Min take any number of inputs: a left-to-right chain of binary ops. */
  private static void variadic(OnnxNode n, Supplier<Op> op) {
    int acc = n.in(0);
    if (n.inputCount() == 1) {
      n.bind(0, n.ctx.applyLike(new Op.Identity(), List.of(acc), n.out(0), acc));
      return;
    }
    for (int i = 1; i < n.inputCount(); i++) {
      String name = i == n.inputCount() - 1 ? n.out(0) : n.derived("partial" + i);
      acc = n.ctx.applyLike(op.get(), List.of(acc, n.in(i)), name, acc);
    }
    n.bind(0, acc);
  }

  private static void clip(OnnxNode n) {
    float lo = Float.NEGATIVE_INFINITY;
    float hi = Float.POSITIVE_INFINITY;
    if (n.ctx.opset < 11) {
      lo = n.attrs.f("min", -Float.MAX_VALUE);
      hi = n.attrs.f("max", Float.MAX_VALUE);
    } else {
      if (n.has(1)) {
        lo = scalar(n.floats(1, "min"), n, "min");
      }
      if (n.has(2)) {
        hi = scalar(n.floats(2, "max"), n, "max");
      }
    }
    unary(n, new Op.Clip(lo, hi));
  }

  static float scalar(float[] v, OnnxNode n, String what) {
    if (v.length != 1) {
      throw n.fail(what + " must be a scalar, has " + v.length + " values");
    }
    return v[0];
  }

  private static void softmax(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    int rank = s.rank();
    if (n.ctx.opset >= 13) {
      int axis = axis(n, n.attrs.intAttr("axis", -1), rank);
      if (axis == rank - 1) {
        n.bind(0, n.ctx.applyLike(new Op.Softmax(1f), List.of(x), n.out(0), x));
        return;
      }
      // Swap the axis with the last one; a swap is its own inverse.
      int[] perm = new int[rank];
      for (int i = 0; i < rank; i++) {
        perm[i] = i;
      }
      perm[axis] = rank - 1;
      perm[rank - 1] = axis;
      int t = n.ctx.transpose(x, perm, n.derived("axis_last"));
      int y = n.ctx.applyLike(new Op.Softmax(1f), List.of(t), n.derived("softmax"), t);
      n.bind(0, n.ctx.transpose(y, perm, n.out(0)));
      return;
    }
    // Before opset 13 Softmax works on the input coerced to 2-D at axis.
    int axis = axis(n, n.attrs.intAttr("axis", 1), rank);
    int outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= s.dim(i);
    }
    int flat = n.ctx.reshape(x, Shape.of(outer, s.elements() / Math.max(outer, 1)),
        n.derived("2d"));
    int y = n.ctx.applyLike(new Op.Softmax(1f), List.of(flat), n.derived("softmax"), flat);
    n.bind(0, n.ctx.reshape(y, s, n.out(0)));
  }

  /** Y = alpha * A' B' + beta * C, as MatMul, Mul and Add (float only). */
  private static void gemm(OnnxNode n) {
    int a = n.in(0);
    int b = n.in(1);
    if (n.type(a).dtype() != DType.FLOAT32) {
      throw n.fail("only float32 Gemm is supported, not " + n.type(a).dtype().shortName());
    }
    float alpha = n.attrs.f("alpha", 1f);
    float beta = n.attrs.f("beta", 1f);
    if (n.attrs.i("transA", 0) != 0) {
      a = n.ctx.transpose(a, new int[] {1, 0}, n.derived("aT"));
    }
    if (n.attrs.i("transB", 0) != 0) {
      b = n.ctx.transpose(b, new int[] {1, 0}, n.derived("bT"));
    }
    boolean hasC = n.has(2);
    boolean last = !hasC && alpha == 1f;
    int y = n.ctx.applyLike(new Op.MatMul(), List.of(a, b), last ? n.out(0) : n.derived("ab"), a);
    if (alpha != 1f) {
      int k = floatScalar(n, alpha, "alpha");
      y = n.ctx.applyLike(new Op.Mul(NONE), List.of(y, k), hasC ? n.derived("alpha_ab")
          : n.out(0), y);
    }
    if (hasC) {
      int c = n.in(2);
      if (beta != 1f) {
        int k = floatScalar(n, beta, "beta");
        c = n.ctx.applyLike(new Op.Mul(NONE), List.of(c, k), n.derived("beta_c"), c);
      }
      y = n.ctx.applyLike(new Op.Add(NONE), List.of(y, c), n.out(0), y);
    }
    n.bind(0, y);
  }

  private static int floatScalar(OnnxNode n, float v, String what) {
    return n.ctx.constant(n.derived(what), TensorType.of(DType.FLOAT32),
        ConstData.ofFloats(new float[] {v}));
  }


  private static void reduceMean(OnnxNode n) {
    n.singleOutput();
    int x = n.in(0);
    int rank = n.ctx.shape(x).rank();
    long[] axes = OnnxShapeOps.axesInput(n, 18);
    boolean keep = n.attrs.i("keepdims", 1) != 0;
    if (axes == null || axes.length == 0) {
      if (n.attrs.i("noop_with_empty_axes", 0) != 0) {
        n.bind(0, n.ctx.applyLike(new Op.Identity(), List.of(x), n.out(0), x));
        return;
      }
      axes = new long[rank];
      for (int i = 0; i < rank; i++) {
        axes[i] = i;
      }
    }
    TreeSet<Integer> sorted = new TreeSet<>();
    for (long a : axes) {
      sorted.add(axis(n, (int) a, rank));
    }
    n.bind(0, n.ctx.applyLike(new Op.Mean(List.copyOf(sorted), keep), List.of(x), n.out(0), x));
  }


  /** The value of a Constant node, from whichever attribute holds it. */
  static OnnxTensors.Decoded constantValue(NodeProto proto, String where) {
    OnnxAttributes a = new OnnxAttributes(proto, where);
    TensorProto t = a.tensor("value");
    if (t != null) {
      return OnnxTensors.decode(t);
    }
    if (a.has("value_float")) {
      return new OnnxTensors.Decoded(DType.FLOAT32, Shape.scalar(),
          ConstData.ofFloats(new float[] {a.f("value_float", 0f)}));
    }
    if (a.has("value_floats")) {
      float[] f = a.floats("value_floats");
      return new OnnxTensors.Decoded(DType.FLOAT32, Shape.of(f.length), ConstData.ofFloats(f));
    }
    if (a.has("value_int")) {
      return new OnnxTensors.Decoded(DType.INT64, Shape.scalar(),
          ConstData.ofLongs(new long[] {a.i("value_int", 0)}));
    }
    if (a.has("value_ints")) {
      long[] l = OnnxShapeOps.toLongs(a.ints("value_ints"));
      return new OnnxTensors.Decoded(DType.INT64, Shape.of(l.length), ConstData.ofLongs(l));
    }
    throw new KilnException(where + ": Constant without a supported value attribute (value,"
        + " value_float(s), value_int(s))");
  }


  /** Normalizes a possibly negative axis. */
  static int axis(OnnxNode n, int axis, int rank) {
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw n.fail("axis " + axis + " out of range for rank " + rank);
    }
    return a;
  }
}
