package io.kiln.frontend.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.kiln.KilnException;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Maps each ONNX operator onto Kiln IR operators. Layout-free operators (element-wise, shape,
 * quantization, matmul) are mapped here in ONNX's own layout; convolution-like, pooling and
 * normalization operators are in {@link OnnxSpatialOps}.
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
      case "Reshape" -> reshape(n);
      case "Flatten" -> flatten(n);
      case "Transpose" -> transpose(n);
      case "Squeeze" -> squeeze(n);
      case "Unsqueeze" -> unsqueeze(n);
      case "Concat" -> concat(n);
      case "Pad" -> pad(n);
      case "Slice" -> slice(n);
      case "Split" -> split(n);
      case "ReduceMean" -> reduceMean(n);
      case "Shape" -> shape(n);
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
      case "QuantizeLinear" -> quantizeLinear(n);
      case "DequantizeLinear" -> dequantizeLinear(n);
      case "MatMulInteger" -> matMulInteger(n);
      case "QLinearMatMul" -> qlinearMatMul(n);
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

  private static float scalar(float[] v, OnnxNode n, String what) {
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

  private static void reshape(OnnxNode n) {
    int x = n.in(0);
    Shape in = n.ctx.shape(x);
    long[] spec = n.ctx.opset < 5 ? toLongs(n.attrs.ints("shape")) : n.longs(1, "shape");
    boolean allowZero = n.attrs.i("allowzero", 0) != 0;
    int[] dims = new int[spec.length];
    int infer = -1;
    long known = 1;
    for (int i = 0; i < spec.length; i++) {
      long d = spec[i];
      if (d == 0 && !allowZero) {
        if (i >= in.rank()) {
          throw n.fail("shape entry " + i + " copies a dimension the input " + in + " lacks");
        }
        d = in.dim(i);
      }
      if (d == -1) {
        if (infer >= 0) {
          throw n.fail("shape " + Arrays.toString(spec) + " has more than one -1");
        }
        infer = i;
        continue;
      }
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw n.fail("invalid shape entry " + d);
      }
      dims[i] = (int) d;
      known *= d;
    }
    if (infer >= 0) {
      if (known == 0 || in.elements() % known != 0) {
        throw n.fail("cannot infer the -1 in shape " + Arrays.toString(spec) + " for input "
            + in);
      }
      dims[infer] = (int) (in.elements() / known);
    }
    n.bind(0, n.ctx.reshape(x, Shape.of(dims), n.out(0)));
  }

  private static long[] toLongs(int[] v) {
    if (v == null) {
      return new long[0];
    }
    long[] l = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      l[i] = v[i];
    }
    return l;
  }

  private static void flatten(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    int axis = n.attrs.intAttr("axis", 1);
    if (axis < 0) {
      axis += s.rank();
    }
    if (axis < 0 || axis > s.rank()) {
      throw n.fail("axis " + n.attrs.i("axis", 1) + " out of range for " + s);
    }
    int outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= s.dim(i);
    }
    int inner = 1;
    for (int i = axis; i < s.rank(); i++) {
      inner *= s.dim(i);
    }
    n.bind(0, n.ctx.reshape(x, Shape.of(outer, inner), n.out(0)));
  }

  private static void transpose(OnnxNode n) {
    int x = n.in(0);
    int rank = n.ctx.shape(x).rank();
    int[] perm = n.attrs.ints("perm");
    if (perm == null) {
      perm = new int[rank];
      for (int i = 0; i < rank; i++) {
        perm[i] = rank - 1 - i;
      }
    }
    n.bind(0, n.ctx.transpose(x, perm, n.out(0)));
  }

  /** Axes from the attribute (old opsets) or the constant input 1; null when absent. */
  private static long[] axesInput(OnnxNode n, int sinceOpset) {
    if (n.ctx.opset < sinceOpset) {
      int[] a = n.attrs.ints("axes");
      return a == null ? null : toLongs(a);
    }
    return n.has(1) ? n.longs(1, "axes") : null;
  }

  private static void squeeze(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    long[] axes = axesInput(n, 13);
    boolean[] drop = new boolean[s.rank()];
    if (axes == null) {
      for (int i = 0; i < s.rank(); i++) {
        drop[i] = s.dim(i) == 1;
      }
    } else {
      for (long a : axes) {
        int ax = axis(n, (int) a, s.rank());
        if (s.dim(ax) != 1) {
          throw n.fail("cannot squeeze axis " + a + " of size " + s.dim(ax) + " in " + s);
        }
        drop[ax] = true;
      }
    }
    List<Integer> dims = new ArrayList<>();
    for (int i = 0; i < s.rank(); i++) {
      if (!drop[i]) {
        dims.add(s.dim(i));
      }
    }
    n.bind(0, n.ctx.reshape(x, Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()),
        n.out(0)));
  }

  private static void unsqueeze(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    long[] axes = axesInput(n, 13);
    if (axes == null) {
      throw n.fail("axes are required");
    }
    int rank = s.rank() + axes.length;
    boolean[] inserted = new boolean[rank];
    for (long a : axes) {
      int ax = axis(n, (int) a, rank);
      if (inserted[ax]) {
        throw n.fail("axis " + a + " repeated");
      }
      inserted[ax] = true;
    }
    int[] dims = new int[rank];
    int src = 0;
    for (int i = 0; i < rank; i++) {
      dims[i] = inserted[i] ? 1 : s.dim(src++);
    }
    n.bind(0, n.ctx.reshape(x, Shape.of(dims), n.out(0)));
  }

  private static void concat(OnnxNode n) {
    List<Integer> ins = new ArrayList<>();
    for (int i = 0; i < n.inputCount(); i++) {
      ins.add(n.in(i));
    }
    int rank = n.ctx.shape(ins.get(0)).rank();
    if (!n.attrs.has("axis")) {
      throw n.fail("attribute axis is required");
    }
    int axis = axis(n, n.attrs.intAttr("axis", 0), rank);
    n.bind(0, n.ctx.applyLike(new Op.Concatenation(axis, NONE), ins, n.out(0), ins.get(0)));
  }

  private static void pad(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    int rank = s.rank();
    String mode = n.attrs.s("mode", "constant");
    if (!mode.equals("constant")) {
      throw n.fail("pad mode '" + mode + "' is not supported; Kiln pads with a constant");
    }
    long[] pads;
    float value = 0f;
    long[] axes = null;
    if (n.ctx.opset < 11) {
      pads = toLongs(n.attrs.ints("pads"));
      value = n.attrs.f("value", 0f);
    } else {
      pads = n.longs(1, "pads");
      if (n.has(2)) {
        value = scalar(n.floats(2, "constant_value"), n, "constant_value");
      }
      if (n.has(3)) {
        axes = n.longs(3, "axes");
      }
    }
    if (value != 0f) {
      throw n.fail("constant_value " + value + " is not supported; Kiln's Pad fills with zero"
          + " (the zero point for quantized tensors)");
    }
    int[] which = new int[axes == null ? rank : axes.length];
    for (int i = 0; i < which.length; i++) {
      which[i] = axes == null ? i : axis(n, (int) axes[i], rank);
    }
    if (pads.length != 2 * which.length) {
      throw n.fail(pads.length + " pads for " + which.length + " axes");
    }
    Integer[] before = new Integer[rank];
    Integer[] after = new Integer[rank];
    Arrays.fill(before, 0);
    Arrays.fill(after, 0);
    for (int i = 0; i < which.length; i++) {
      long b = pads[i];
      long e = pads[i + which.length];
      if (b < 0 || e < 0) {
        throw n.fail("negative pads (cropping) are not supported");
      }
      before[which[i]] = Math.toIntExact(b);
      after[which[i]] = Math.toIntExact(e);
    }
    n.bind(0, n.ctx.applyLike(new Op.Pad(List.of(before), List.of(after)), List.of(x),
        n.out(0), x));
  }

  private static void slice(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    int rank = s.rank();
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps = null;
    if (n.ctx.opset < 10) {
      starts = toLongs(n.attrs.ints("starts"));
      ends = toLongs(n.attrs.ints("ends"));
      axes = n.attrs.ints("axes") == null ? null : toLongs(n.attrs.ints("axes"));
    } else {
      starts = n.longs(1, "starts");
      ends = n.longs(2, "ends");
      axes = n.has(3) ? n.longs(3, "axes") : null;
      steps = n.has(4) ? n.longs(4, "steps") : null;
    }
    if (ends.length != starts.length || (axes != null && axes.length != starts.length)
        || (steps != null && steps.length != starts.length)) {
      throw n.fail("starts, ends, axes and steps differ in length");
    }
    List<Integer> begin = new ArrayList<>();
    List<Integer> end = new ArrayList<>();
    List<Integer> stride = new ArrayList<>();
    for (int a = 0; a < rank; a++) {
      begin.add(0);
      end.add(s.dim(a));
      stride.add(1);
    }
    int endMask = 0;
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < starts.length; i++) {
      int a = axes == null ? i : axis(n, (int) axes[i], rank);
      if (seen[a]) {
        throw n.fail("axis " + a + " sliced twice");
      }
      seen[a] = true;
      long step = steps == null ? 1 : steps[i];
      if (step == 0 || Math.abs(step) > Integer.MAX_VALUE) {
        throw n.fail("invalid step " + step);
      }
      long dim = s.dim(a);
      // ONNX's resolution: negative indices count from the end, then clamp to the valid range,
      // which for a negative step lets end reach -1 (one before the first element).
      long st = starts[i] < 0 ? starts[i] + dim : starts[i];
      long en = ends[i] < 0 ? ends[i] + dim : ends[i];
      if (step > 0) {
        st = clamp(st, 0, dim);
        en = clamp(en, 0, dim);
      } else {
        st = clamp(st, 0, dim - 1);
        en = clamp(en, -1, dim - 1);
      }
      begin.set(a, (int) st);
      stride.set(a, (int) step);
      if (en == -1) {
        // StridedSlice would read -1 as "the last element"; the end mask means "past the first".
        endMask |= 1 << a;
        end.set(a, 0);
      } else {
        end.set(a, (int) en);
      }
    }
    Op.StridedSlice op = new Op.StridedSlice(begin, end, stride, 0, endMask, 0, 0, 0, false);
    n.bind(0, n.ctx.applyLike(op, List.of(x), n.out(0), x));
  }

  private static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  private static void split(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    int rank = s.rank();
    int axis = axis(n, n.attrs.intAttr("axis", 0), rank);
    int outs = n.proto.getOutputCount();
    long[] sizes;
    if (n.ctx.opset < 13 && n.attrs.ints("split") != null) {
      sizes = toLongs(n.attrs.ints("split"));
    } else if (n.ctx.opset >= 13 && n.has(1)) {
      sizes = n.longs(1, "split");
    } else {
      int parts = n.attrs.has("num_outputs") ? n.attrs.intAttr("num_outputs", outs) : outs;
      int dim = s.dim(axis);
      // Equal parts; since opset 18 the last part may be smaller (ceil-sized chunks).
      int chunk = (dim + parts - 1) / Math.max(parts, 1);
      if (n.ctx.opset < 18 && dim % Math.max(parts, 1) != 0) {
        throw n.fail("axis of size " + dim + " does not split into " + parts + " equal parts");
      }
      sizes = new long[parts];
      for (int i = 0; i < parts; i++) {
        sizes[i] = Math.max(0, Math.min(chunk, dim - (long) i * chunk));
      }
    }
    if (sizes.length != outs) {
      throw n.fail(sizes.length + " split sizes for " + outs + " outputs");
    }
    long total = 0;
    for (long v : sizes) {
      total += v;
    }
    if (total != s.dim(axis)) {
      throw n.fail("split sizes " + Arrays.toString(sizes) + " do not add up to " + s.dim(axis));
    }
    int offset = 0;
    for (int i = 0; i < outs; i++) {
      List<Integer> begin = new ArrayList<>();
      List<Integer> end = new ArrayList<>();
      List<Integer> stride = new ArrayList<>();
      for (int a = 0; a < rank; a++) {
        begin.add(a == axis ? offset : 0);
        end.add(a == axis ? offset + (int) sizes[i] : s.dim(a));
        stride.add(1);
      }
      offset += (int) sizes[i];
      Op.StridedSlice op = new Op.StridedSlice(begin, end, stride, 0, 0, 0, 0, 0, false);
      n.bind(i, n.ctx.applyLike(op, List.of(x), n.out(i), x));
    }
  }

  private static void reduceMean(OnnxNode n) {
    n.singleOutput();
    int x = n.in(0);
    int rank = n.ctx.shape(x).rank();
    long[] axes = axesInput(n, 18);
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

  private static void shape(OnnxNode n) {
    Shape s = n.ctx.shape(n.in(0));
    int rank = s.rank();
    int start = n.attrs.intAttr("start", 0);
    int end = n.attrs.intAttr("end", rank);
    start = (int) clamp(start < 0 ? start + rank : start, 0, rank);
    end = (int) clamp(end < 0 ? end + rank : end, 0, rank);
    long[] dims = new long[Math.max(0, end - start)];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = s.dim(start + i);
    }
    n.bind(0, n.ctx.constant(n.out(0), TensorType.of(DType.INT64, dims.length),
        ConstData.ofLongs(dims)));
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
      long[] l = toLongs(a.ints("value_ints"));
      return new OnnxTensors.Decoded(DType.INT64, Shape.of(l.length), ConstData.ofLongs(l));
    }
    throw new KilnException(where + ": Constant without a supported value attribute (value,"
        + " value_float(s), value_int(s))");
  }

  private static void quantizeLinear(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    if (n.attrs.i("block_size", 0) != 0) {
      throw n.fail("blocked quantization (block_size) is not supported");
    }
    float[] scales = n.floats(1, "y_scale");
    long[] zps = n.has(2) ? n.intValues(2, "y_zero_point") : null;
    DType out = n.has(2) ? n.type(n.in(2)).dtype()
        : n.attrs.has("output_dtype") ? OnnxTensors.dtype(n.attrs.intAttr("output_dtype", 2),
            n.where + " output_dtype") : DType.UINT8;
    Quantization q = OnnxQuantParams.of(scales, zps, n.attrs.intAttr("axis", 1), s.rank(),
        n.where);
    n.bind(0, n.ctx.apply(new Op.Quantize(RequantScheme.FLOAT_HALF_EVEN), List.of(x),
        n.out(0), out, q));
  }

  private static void dequantizeLinear(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    if (n.attrs.i("block_size", 0) != 0) {
      throw n.fail("blocked quantization (block_size) is not supported");
    }
    float[] scales = n.floats(1, "x_scale");
    long[] zps = n.has(2) ? n.intValues(2, "x_zero_point") : null;
    Quantization q = OnnxQuantParams.of(scales, zps, n.attrs.intAttr("axis", 1), s.rank(),
        n.where);
    requireQuant(n, x, q);
    n.bind(0, n.ctx.apply(new Op.Dequantize(), List.of(x), n.out(0), DType.FLOAT32,
        Quantization.NONE));
  }

  /** The operand's type must already carry the quantization this operator reads it with. */
  static void requireQuant(OnnxNode n, int id, Quantization q) {
    Quantization have = n.type(id).quant();
    if (!have.equals(q)) {
      throw n.fail("tensor '" + n.ctx.builder.build().value(id).name() + "' is read with"
          + " quantization " + q + " but carries " + have + "; Kiln gives each tensor one"
          + " quantization");
    }
  }

  private static void matMulInteger(OnnxNode n) {
    int a = n.in(0);
    int b = n.in(1);
    requireZeroPointsOnly(n, a, 2, -2);
    requireZeroPointsOnly(n, b, 3, -1);
    n.bind(0, n.ctx.apply(new Op.MatMul(), List.of(a, b), n.out(0), DType.INT32,
        Quantization.NONE));
  }

  /** For *Integer operators: the operand's type carries scale 1 and the node's zero points. */
  static void requireZeroPointsOnly(OnnxNode n, int id, int zpSlot, int axis) {
    long[] zps = n.has(zpSlot) ? n.intValues(zpSlot, "zero point") : null;
    requireQuant(n, id, OnnxQuantParams.of(null, zps, axis, n.ctx.shape(id).rank(), n.where));
  }

  /** Reads a, b with their quantization; MatMul to int32 accumulators; requantize half-even. */
  private static void qlinearMatMul(OnnxNode n) {
    int a = n.in(0);
    int b = n.in(3);
    Quantization qa = quantOf(n, a, 1, 2, -2);
    Quantization qb = quantOf(n, b, 4, 5, -1);
    requireQuant(n, a, qa);
    requireQuant(n, b, qb);
    int outRank = io.kiln.ir.ShapeInference.matmul(new Op.MatMul(), n.ctx.shape(a),
        n.ctx.shape(b)).rank();
    Quantization acc = accumulatorQuant(qa.scale(), qb, outRank - 1);
    int mm = n.ctx.apply(new Op.MatMul(), List.of(a, b), n.derived("acc"), DType.INT32, acc);
    n.bind(0, requantize(n, mm, 6, 7, n.out(0)));
  }

  static Quantization quantOf(OnnxNode n, int id, int scaleSlot, int zpSlot, int axis) {
    return OnnxQuantParams.of(n.floats(scaleSlot, "scale"),
        n.has(zpSlot) ? n.intValues(zpSlot, "zero point") : null, axis, n.ctx.shape(id).rank(),
        n.where);
  }

  /**
   * The scale of int32 accumulators: input scale times each weight scale, a float32 product as
   * ONNX Runtime forms it; per axis along the output channel when the weights are per axis.
   */
  static Quantization accumulatorQuant(float inputScale, Quantization weights, int channelAxis) {
    return switch (weights) {
      case Quantization.PerAxis p -> {
        float[] s = new float[p.channels()];
        for (int c = 0; c < s.length; c++) {
          s[c] = inputScale * p.scale(c);
        }
        yield new Quantization.PerAxis(channelAxis, s, new long[s.length]);
      }
      default -> new Quantization.PerTensor(inputScale * weights.scale(), 0);
    };
  }

  /** Output stage of QLinear*: Quantize(FLOAT_HALF_EVEN) to the y scale and zero point. */
  static int requantize(OnnxNode n, int acc, int scaleSlot, int zpSlot, String outName) {
    float[] ys = n.floats(scaleSlot, "y_scale");
    long[] yz = n.has(zpSlot) ? n.intValues(zpSlot, "y_zero_point") : null;
    DType out = n.has(zpSlot) ? n.type(n.in(zpSlot)).dtype() : DType.UINT8;
    Quantization q = OnnxQuantParams.of(ys, yz, 0, 1, n.where);
    if (!(q instanceof Quantization.PerTensor)) {
      throw n.fail("y_scale must be a single value");
    }
    return n.ctx.apply(new Op.Quantize(RequantScheme.FLOAT_HALF_EVEN), List.of(acc), outName,
        out, q);
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
