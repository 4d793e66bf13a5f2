package io.kiln.frontend.onnx;

import static io.kiln.frontend.onnx.OnnxGraphBuilder.encode;
import static io.kiln.frontend.onnx.OnnxGraphBuilder.floatAttr;
import static io.kiln.frontend.onnx.OnnxGraphBuilder.integer;
import static io.kiln.frontend.onnx.OnnxGraphBuilder.ints;
import static io.kiln.frontend.onnx.OnnxGraphBuilder.pads;
import static io.kiln.frontend.onnx.OnnxGraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.StridedSliceGeometry;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Kiln graph as an ONNX model (opset 13) that ONNX Runtime runs.
 *
 * <p>Layout: every rank-4 activation (Kiln's NHWC) is an NCHW tensor in the ONNX graph, graph
 * inputs and outputs included, so convolutions and pools map onto ONNX's NCHW operators directly
 * with weights converted to OIHW at export time. Operators whose meaning depends on the axis order
 * (reshape, softmax over the last axis, transpose, slice, pad, mean, fully connected) get a
 * Transpose back to NHWC before and to NCHW after; ONNX Runtime's transpose optimizer cancels
 * adjacent pairs.
 *
 * <p>Quantization: integer tensors stay integer between operators and every arithmetic operator
 * is written in QDQ form, DequantizeLinear on its inputs (per-axis weights with axis 0, int32 bias
 * with scale input·weight) and QuantizeLinear on its output, which ONNX Runtime fuses into its
 * integer kernels. ONNX requantizes with a float multiplier rounding half to even where TFLite
 * uses a Q31 fixed-point multiplier, so results can differ from Kiln's interpreter by one step
 * per layer. Pure data movement between equally quantized tensors (reshape, transpose, pad, slice,
 * concatenation, max pooling) stays on the integers.
 */
public final class OnnxWriter {
  public static final int OPSET = 13;
  /** The IR version that opset 13 belongs to. */
  private static final long IR_VERSION = 7;
  private static final int[] TO_NCHW = {0, 3, 1, 2};
  private static final int[] TO_NHWC = {0, 2, 3, 1};

  private final Graph graph;
  private final OnnxGraphBuilder pb = new OnnxGraphBuilder();
  private final GraphProto.Builder g = pb.g;
  /** ONNX tensor of each IR value in its ONNX layout (NCHW for rank-4 activations). */
  private final Map<Integer, String> names = new HashMap<>();
  private String where = "";

  private OnnxWriter(Graph graph) {
    this.graph = graph;
  }

  /** The serialized ModelProto of {@code graph}; what ONNX cannot express is a KilnException. */
  public static byte[] write(Graph graph) {
    return toModel(graph).toByteArray();
  }

  public static ModelProto toModel(Graph graph) {
    io.kiln.ir.Requant.requireTflite(graph, "an ONNX file");
    return new OnnxWriter(Verifier.verify(graph)).build();
  }

  private ModelProto build() {
    g.setName(graph.name());
    for (Value v : graph.inputValues()) {
      String n = pb.unique(v.name());
      names.put(v.id(), n);
      g.addInput(valueInfo(n, v.dtype(), onnxDims(v)));
    }
    List<Node> nodes = graph.nodes();
    for (int k = 0; k < nodes.size(); k++) {
      where = "node " + k + " (" + nodes.get(k).op().opName() + ")";
      convert(nodes.get(k));
    }
    for (int id : graph.outputs()) {
      Value v = graph.value(id);
      String n = names.get(id);
      if (n == null) {
        throw new KilnException("cannot export to onnx: graph output '" + v.name()
            + "' is not computed by any operator");
      }
      g.addOutput(valueInfo(n, v.dtype(), onnxDims(v)));
    }
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("kiln")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(g)
        .build();
  }

  // ---- operators ----

  private void convert(Node n) {
    int out = n.output();
    switch (n.op()) {
      case Op.Conv2D c -> conv(n, c.strideH(), c.strideW(), c.dilationH(), c.dilationW(),
          c.pads(), 1, c.act(), new int[] {0, 3, 1, 2});
      case Op.DepthwiseConv2D c -> conv(n, c.strideH(), c.strideW(), c.dilationH(),
          c.dilationW(), c.pads(), graph.type(n.input(0)).shape().dim(3), c.act(),
          new int[] {3, 0, 1, 2});
      case Op.FullyConnected f -> fullyConnected(n, f);
      case Op.AveragePool2D p -> finish(out, activation(pb.node("AveragePool",
          List.of(real(n.input(0))), ints("kernel_shape", p.filterH(), p.filterW()),
          ints("strides", p.strideH(), p.strideW()), pads(p.pads()),
          integer("count_include_pad", 0)), p.act()), true);
      case Op.MaxPool2D p -> {
        AttributeProto[] attrs = {ints("kernel_shape", p.filterH(), p.filterW()),
            ints("strides", p.strideH(), p.strideW()), pads(p.pads())};
        if (sameQuant(n.input(0), out) && p.act() == Op.Activation.NONE) {
          names.put(out, named(out, "MaxPool", List.of(onnx(n.input(0))), attrs));
        } else {
          finish(out, activation(pb.node("MaxPool", List.of(real(n.input(0))), attrs), p.act()),
              true);
        }
      }
      case Op.Add a -> binary(n, "Add", a.act());
      case Op.Sub s -> binary(n, "Sub", s.act());
      case Op.Mul m -> binary(n, "Mul", m.act());
      case Op.Div d -> binary(n, "Div", d.act());
      case Op.Maximum m -> binary(n, "Max", Op.Activation.NONE);
      case Op.Minimum m -> binary(n, "Min", Op.Activation.NONE);
      case Op.Pow p -> binary(n, "Pow", Op.Activation.NONE);
      case Op.PRelu p -> binary(n, "PRelu", Op.Activation.NONE);
      case Op.Relu r -> unary(n, "Relu");
      case Op.Relu6 r -> finish(out, clip(real(n.input(0)), 0f, 6f), isNchw(out));
      case Op.Clip c -> finish(out, clip(real(n.input(0)), c.min(), c.max()), isNchw(out));
      case Op.Logistic l -> unary(n, "Sigmoid");
      case Op.Tanh t -> unary(n, "Tanh");
      case Op.Abs a -> unary(n, "Abs");
      case Op.Neg ng -> unary(n, "Neg");
      case Op.Exp e -> unary(n, "Exp");
      case Op.Log l -> unary(n, "Log");
      case Op.Sqrt s -> unary(n, "Sqrt");
      case Op.HardSwish h -> unary(n, "HardSwish");
      case Op.LeakyRelu l -> finish(out, pb.node("LeakyRelu", List.of(real(n.input(0))),
          floatAttr("alpha", l.alpha())), isNchw(out));
      case Op.Elu e -> finish(out, pb.node("Elu", List.of(real(n.input(0))),
          floatAttr("alpha", e.alpha())), isNchw(out));
      case Op.HardSigmoid h -> finish(out, pb.node("HardSigmoid", List.of(real(n.input(0))),
          floatAttr("alpha", h.alpha()), floatAttr("beta", h.beta())), isNchw(out));
      case Op.Identity i -> move(n, x -> pb.node("Identity", List.of(x)), false);
      case Op.Reshape r -> move(n, x -> pb.node("Reshape", List.of(x,
          pb.longs("shape", r.newShape().dims()))), true);
      case Op.Transpose t -> move(n, x -> pb.node("Transpose", List.of(x),
          ints("perm", t.perm().stream().mapToInt(Integer::intValue).toArray())), true);
      case Op.Pad p -> pad(n, p);
      case Op.StridedSlice s -> stridedSlice(n, s);
      case Op.Concatenation c -> concat(n, c);
      case Op.Softmax s -> {
        String x = real(irLayout(n.input(0)), n.input(0));
        if (s.beta() != 1.0f) {
          x = pb.node("Mul", List.of(x, pb.scalar(s.beta())));
        }
        finish(out, pb.node("Softmax", List.of(x), integer("axis", -1)), false);
      }
      case Op.Mean m -> {
        String x = real(irLayout(n.input(0)), n.input(0));
        finish(out, pb.node("ReduceMean", List.of(x),
            ints("axes", m.axes().stream().mapToInt(Integer::intValue).toArray()),
            integer("keepdims", m.keepDims() ? 1 : 0)), false);
      }
      case Op.Quantize q -> finish(out, real(n.input(0)), isNchw(out));
      case Op.Dequantize d -> names.put(out, named(out, "DequantizeLinear",
          dqInputs(onnx(n.input(0)), graph.type(n.input(0)), isNchw(n.input(0))),
          axisAttr(graph.type(n.input(0)), isNchw(n.input(0)))));
      case Op.BatchNorm b -> {
        if (!isNchw(out)) {
          throw unsupported("normalizes a rank-" + graph.type(out).shape().rank()
              + " tensor; only rank-4 activations map onto ONNX BatchNormalization");
        }
        finish(out, pb.node("BatchNormalization", List.of(real(n.input(0)),
            real(n.input(Op.BatchNorm.SCALE)), real(n.input(Op.BatchNorm.BIAS)),
            real(n.input(Op.BatchNorm.MEAN)), real(n.input(Op.BatchNorm.VARIANCE))),
            floatAttr("epsilon", b.epsilon())), true);
      }
      case Op.MatMul m -> {
        if (graph.type(out).dtype() != DType.FLOAT32) {
          throw unsupported("produces raw int32 accumulators, which QDQ ONNX cannot express");
        }
        finish(out, pb.node("MatMul", List.of(irLayout(n.input(0)), irLayout(n.input(1)))), false);
      }
      case Op.TransposeConv t -> throw unsupported("has no ONNX mapping in Kiln's writer yet");
      case Op.Cast c -> throw unsupported("has no ONNX mapping in Kiln's writer yet");
      case Op.Signal s -> throw unsupported("is a TFLM signal operator, which ONNX lacks");
      case Op.Svdf s -> throw unsupported("keeps TFLite variable state, which ONNX lacks");
      case Op.UnidirectionalLstm l -> throw unsupported("keeps TFLite variable state; Kiln's"
          + " writer has no ONNX LSTM mapping yet");
      case Op.ShapeOf sh -> throw unsupported("has no ONNX mapping in Kiln's writer yet");
      case Op.Gather ga -> throw unsupported("has no ONNX mapping in Kiln's writer yet");
      case Op.Resize rs -> throw unsupported("has no ONNX mapping in Kiln's writer yet");
      case Op.BatchMatMul bm -> throw unsupported("has no ONNX mapping in Kiln's writer yet");
    }
  }

  private void conv(Node n, int strideH, int strideW, int dilationH, int dilationW, Op.Pads p,
      int group, Op.Activation act, int[] filterToOnnx) {
    int out = n.output();
    if (graph.type(n.input(0)).dtype().isInteger() && graph.type(out).dtype() == DType.INT32) {
      throw unsupported("produces raw int32 accumulators, which QDQ ONNX cannot express (run"
          + " the optimization passes first to fuse the Quantize)");
    }
    Shape filter = graph.type(n.input(1)).shape();
    List<String> in = new ArrayList<>();
    in.add(real(n.input(0)));
    in.add(permutedReal(n.input(1), filterToOnnx));
    if (n.hasInput(2)) {
      in.add(real(n.input(2)));
    }
    String y = pb.node("Conv", in, ints("kernel_shape", filter.dim(1), filter.dim(2)),
        ints("strides", strideH, strideW), ints("dilations", dilationH, dilationW), pads(p),
        integer("group", group));
    finish(out, activation(y, act), true);
  }

  private void fullyConnected(Node n, Op.FullyConnected f) {
    int out = n.output();
    if (graph.type(n.input(0)).dtype().isInteger() && graph.type(out).dtype() == DType.INT32) {
      throw unsupported("produces raw int32 accumulators, which QDQ ONNX cannot express");
    }
    Shape w = graph.type(n.input(Op.FullyConnected.WEIGHTS)).shape();
    int depth = w.dim(1);
    int batch = graph.type(n.input(0)).elements() / depth;
    String x = real(irLayout(n.input(0)), n.input(0));
    x = pb.node("Reshape", List.of(x, pb.longs("shape", batch, depth)));
    List<String> in = new ArrayList<>(List.of(x, real(n.input(Op.FullyConnected.WEIGHTS))));
    if (n.hasInput(Op.FullyConnected.BIAS)) {
      in.add(real(n.input(Op.FullyConnected.BIAS)));
    }
    String y = activation(pb.node("Gemm", in, integer("transB", 1)), f.act());
    Shape outShape = graph.type(out).shape();
    if (!outShape.equals(Shape.of(batch, w.dim(0)))) {
      y = pb.node("Reshape", List.of(y, pb.longs("shape", outShape.dims())));
    }
    finish(out, y, false);
  }

  private void unary(Node n, String op) {
    finish(n.output(), pb.node(op, List.of(real(n.input(0)))), isNchw(n.output()));
  }

  /** Element-wise with numpy broadcasting; in NCHW, lower-rank operands are broadcast to 4-D. */
  private void binary(Node n, String op, Op.Activation act) {
    int out = n.output();
    boolean nchw = isNchw(out);
    List<String> in = new ArrayList<>();
    for (int id : n.inputs()) {
      in.add(nchw ? real(asNchw4(id), id, true) : real(irLayout(id), id));
    }
    finish(out, activation(pb.node(op, in), act), nchw);
  }

  private interface Move {
    String apply(String x);
  }

  /**
   * Data movement: on the integers when input and output are quantized alike, else on real
   * values; {@code layoutSensitive} ops run in Kiln's layout.
   */
  private void move(Node n, Move op, boolean layoutSensitive) {
    int in = n.input(0);
    int out = n.output();
    String x = layoutSensitive ? irLayout(in) : onnx(in);
    boolean resultNchw = !layoutSensitive && isNchw(out);
    if (sameQuant(in, out)) {
      String y = op.apply(x);
      names.put(out, resultNchw == isNchw(out) ? rename(y, out) : transposed(y, TO_NCHW, out));
    } else {
      finish(out, op.apply(real(x, in, !layoutSensitive && isNchw(in))), resultNchw);
    }
  }

  private void pad(Node n, Op.Pad p) {
    int in = n.input(0);
    int out = n.output();
    long[] pads = new long[2 * p.before().size()];
    for (int i = 0; i < p.before().size(); i++) {
      pads[i] = p.before().get(i);
      pads[i + p.before().size()] = p.after().get(i);
    }
    String padsName = pb.longs("pads", pads);
    TensorType t = graph.type(out);
    if (sameQuant(in, out)) {
      // The IR pads quantized tensors with the output zero point: real zero.
      long zp = t.quant().isQuantized() ? t.quant().zeroPoint() : 0;
      String value = pb.constant("pad_value", t.dtype(), new int[0], encode(t.dtype(), zp));
      names.put(out, transposed(pb.node("Pad", List.of(irLayout(in), padsName, value)), TO_NCHW,
          out));
    } else {
      finish(out, pb.node("Pad", List.of(real(irLayout(in), in), padsName, pb.scalar(0f))), false);
    }
  }

  private void stridedSlice(Node n, Op.StridedSlice s) {
    int in = n.input(0);
    Shape inShape = graph.type(in).shape();
    StridedSliceGeometry geo = StridedSliceGeometry.of(s, inShape);
    int rank = inShape.rank();
    long[] starts = new long[rank];
    long[] ends = new long[rank];
    long[] axes = new long[rank];
    long[] steps = new long[rank];
    for (int a = 0; a < rank; a++) {
      starts[a] = geo.start()[a];
      // A stop of -1 with a negative stride means "past the first element", which ONNX
      // would read as "the last element".
      ends[a] = geo.stop()[a] < 0 ? Integer.MIN_VALUE : geo.stop()[a];
      axes[a] = a;
      steps[a] = geo.stride()[a];
    }
    Shape outShape = graph.type(n.output()).shape();
    move(n, x -> pb.node("Reshape", List.of(pb.node("Slice", List.of(x, pb.longs("starts", starts),
        pb.longs("ends", ends), pb.longs("axes", axes), pb.longs("steps", steps))),
        pb.longs("shape", outShape.dims()))), true);
  }

  private void concat(Node n, Op.Concatenation c) {
    int out = n.output();
    boolean nchw = isNchw(out);
    int axis = nchw ? OnnxLayout.inverse(TO_NCHW)[c.axis()] : c.axis();
    boolean raw = c.act() == Op.Activation.NONE;
    for (int id : n.inputs()) {
      raw &= sameQuant(id, out);
    }
    List<String> in = new ArrayList<>();
    for (int id : n.inputs()) {
      String x = nchw ? onnx(id) : irLayout(id);
      in.add(raw ? x : real(x, id, nchw));
    }
    String y = pb.node("Concat", in, integer("axis", axis));
    if (raw) {
      names.put(out, rename(y, out));
    } else {
      finish(out, activation(y, c.act()), nchw);
    }
  }

  // ---- layouts and quantization ----

  /** Rank-4 activations are NCHW in the ONNX graph; everything else keeps Kiln's layout. */
  private boolean isNchw(int id) {
    Value v = graph.value(id);
    return v.shape().rank() == 4 && !v.isConstant();
  }

  private int[] onnxDims(Value v) {
    return isNchw(v.id()) ? OnnxLayout.permute(v.shape().dims(), TO_NCHW) : v.shape().dims();
  }

  /** The ONNX tensor of a value in its ONNX layout (constants as initializers). */
  private String onnx(int id) {
    Value v = graph.value(id);
    if (v.isConstant()) {
      return pb.cached("const:" + id, k -> pb.constant(v.name(), v.dtype(),
          v.shape().dims(), v.data().bytes()));
    }
    String n = names.get(id);
    if (n == null) {
      throw new IllegalStateException("value %" + id + " used before it is computed");
    }
    return n;
  }

  /** The value in Kiln's layout (NHWC for rank-4 activations). */
  private String irLayout(int id) {
    return isNchw(id) ? pb.cached("nhwc:" + id, k -> pb.node("Transpose",
        List.of(onnx(id)), ints("perm", TO_NHWC))) : onnx(id);
  }

  /** A value broadcast to rank 4 in NCHW order, for element-wise operators on NCHW tensors. */
  private String asNchw4(int id) {
    if (isNchw(id)) {
      return onnx(id);
    }
    Value v = graph.value(id);
    int[] dims = v.shape().dims();
    int[] four = new int[4];
    Arrays.fill(four, 1);
    System.arraycopy(dims, 0, four, 4 - dims.length, dims.length);
    if (v.isConstant()) {
      return pb.cached("nchw4:" + id, k -> pb.constant(v.name() + "/nchw", v.dtype(),
          OnnxLayout.permute(four, TO_NCHW), OnnxLayout.permuteData(v.data().bytes(), v.dtype().bytes(), four,
              TO_NCHW)));
    }
    String r = pb.node("Reshape", List.of(onnx(id), pb.longs("shape", four)));
    return pb.node("Transpose", List.of(r), ints("perm", TO_NCHW));
  }

  /** The value's real (float) view in its ONNX layout. */
  private String real(int id) {
    return real(onnx(id), id, isNchw(id));
  }

  private String real(String tensor, int id) {
    return real(tensor, id, false);
  }

  /**
   * Dequantizes {@code tensor} (which holds value {@code id}, NCHW-permuted when {@code nchw})
   * when the value is quantized; float values pass through.
   */
  private String real(String tensor, int id, boolean nchw) {
    TensorType t = graph.type(id);
    if (!t.quant().isQuantized()) {
      if (t.dtype() != DType.FLOAT32) {
        throw unsupported("reads " + t.dtype().shortName() + " value '" + graph.value(id).name()
            + "' without quantization as real numbers");
      }
      return tensor;
    }
    if (t.quant() instanceof Quantization.PerAxis && nchw && graph.value(id).isConstant()) {
      throw unsupported("broadcasts a per-axis quantized constant");
    }
    return pb.cached("dq:" + tensor, k -> pb.node("DequantizeLinear",
        dqInputs(tensor, t, nchw), axisAttr(t, nchw)));
  }

  /** A constant weight permuted into ONNX's order (OIHW), as real values. */
  private String permutedReal(int id, int[] perm) {
    Value v = graph.value(id);
    if (!v.isConstant()) {
      return pb.node("Transpose", List.of(real(irLayout(id), id)), ints("perm", perm));
    }
    String data = pb.cached("perm:" + id + Arrays.toString(perm),
        k -> pb.constant(v.name(), v.dtype(), OnnxLayout.permute(v.shape().dims(), perm),
            OnnxLayout.permuteData(v.data().bytes(), v.dtype().bytes(), v.shape().dims(), perm)));
    TensorType t = v.type();
    if (!t.quant().isQuantized()) {
      return data;
    }
    Quantization q = t.quant();
    if (q instanceof Quantization.PerAxis pa) {
      q = new Quantization.PerAxis(OnnxLayout.inverse(perm)[pa.axis()], pa.scales(), pa.zeroPoints());
    }
    TensorType permuted = new TensorType(t.dtype(), Shape.of(OnnxLayout.permute(t.shape().dims(), perm)), q);
    return pb.node("DequantizeLinear", dqInputs(data, permuted, false), axisAttr(permuted, false));
  }

  private List<String> dqInputs(String tensor, TensorType t, boolean nchw) {
    return List.of(tensor, pb.scales(t.quant()), pb.zeroPoints(t.quant(), t.dtype()));
  }

  private AttributeProto[] axisAttr(TensorType t, boolean nchw) {
    if (t.quant() instanceof Quantization.PerAxis p) {
      int axis = nchw ? OnnxLayout.inverse(TO_NCHW)[p.axis()] : p.axis();
      return new AttributeProto[] {integer("axis", axis)};
    }
    return new AttributeProto[0];
  }

  /**
   * Defines IR value {@code id} from a real-valued result (in NCHW when {@code resultNchw}):
   * transposed into the value's layout, then quantized when the value is an integer.
   */
  private void finish(int id, String result, boolean resultNchw) {
    String y = result;
    if (resultNchw && !isNchw(id)) {
      y = pb.node("Transpose", List.of(y), ints("perm", TO_NHWC));
    } else if (!resultNchw && isNchw(id)) {
      y = pb.node("Transpose", List.of(y), ints("perm", TO_NCHW));
    }
    TensorType t = graph.type(id);
    if (t.dtype() == DType.FLOAT32) {
      names.put(id, rename(y, id));
      return;
    }
    if (!(t.quant() instanceof Quantization.PerTensor)
        || (t.dtype() != DType.INT8 && t.dtype() != DType.UINT8)) {
      throw unsupported("produces " + t.dtype().shortName() + " value '" + graph.value(id).name()
          + "' with " + (t.quant().isQuantized() ? "per-axis " : "no ")
          + "quantization; opset " + OPSET + " QuantizeLinear writes per-tensor int8/uint8");
    }
    names.put(id, named(id, "QuantizeLinear", List.of(y, pb.scales(t.quant()),
        pb.zeroPoints(t.quant(), t.dtype()))));
  }

  private String activation(String x, Op.Activation act) {
    return switch (act) {
      case NONE -> x;
      case RELU -> pb.node("Relu", List.of(x));
      case RELU6 -> clip(x, 0f, 6f);
      case RELU_N1_TO_1 -> clip(x, -1f, 1f);
      case TANH -> pb.node("Tanh", List.of(x));
      case SIGN_BIT -> throw unsupported("fuses the SIGN_BIT activation, which ONNX lacks");
    };
  }

  private String clip(String x, float min, float max) {
    return pb.node("Clip", List.of(x, Float.isInfinite(min) ? "" : pb.scalar(min),
        Float.isInfinite(max) ? "" : pb.scalar(max)));
  }

  private boolean sameQuant(int a, int b) {
    TensorType ta = graph.type(a);
    TensorType tb = graph.type(b);
    return ta.dtype() == tb.dtype() && ta.quant().equals(tb.quant());
  }

  private KilnException unsupported(String why) {
    return new KilnException("cannot export to onnx: " + where + " " + why);
  }

  /** A node whose output takes the IR value's name. */
  private String named(int id, String op, List<String> inputs, AttributeProto... attrs) {
    return pb.namedNode(graph.value(id).name(), op, inputs, List.of(attrs));
  }

  /** Graph outputs need the IR value's name on a node output; an Identity gives it one. */
  private String rename(String tensor, int id) {
    return named(id, "Identity", List.of(tensor));
  }

  private String transposed(String tensor, int[] perm, int id) {
    return isNchw(id) ? named(id, "Transpose", List.of(tensor), ints("perm", perm))
        : rename(tensor, id);
  }
}
