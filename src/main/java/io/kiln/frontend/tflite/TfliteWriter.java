package io.kiln.frontend.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.Buffer;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.OperatorCode;
import org.tensorflow.lite.schema.QuantizationParameters;
import org.tensorflow.lite.schema.SubGraph;
import org.tensorflow.lite.schema.Tensor;

/**
 * Writes a Kiln graph as a TFLite flatbuffer (schema version 3, identifier "TFL3") that
 * {@link TfliteImporter} reads back to the same graph: value {@code i} becomes tensor {@code i},
 * nodes become operators in order, and explicit pads become SAME/VALID where TFLite would compute
 * exactly those pads, else an explicit PAD operator before a VALID convolution.
 */
public final class TfliteWriter {
  private static final int SCHEMA_VERSION = 3;
  /** TFLite runtimes map buffers in place; 16 bytes keeps every element type aligned. */
  private static final int BUFFER_ALIGNMENT = 16;

  /** A tensor to write; {@code data} is null for activations. */
  private record TensorSpec(String name, DType dtype, int[] shape, Quantization quant,
      byte[] data) {}

  /** An operator to write; {@code options} builds its options table (null for none). */
  private record OpSpec(int builtin, int[] inputs, int[] outputs, byte optionsType,
      ToIntFunction<FlatBufferBuilder> options) {}

  private final Graph graph;
  private final List<TensorSpec> tensors = new ArrayList<>();
  private final List<OpSpec> ops = new ArrayList<>();

  private TfliteWriter(Graph graph) {
    this.graph = graph;
  }

  /** The flatbuffer bytes of {@code g}; an operator TFLite cannot express is a KilnException. */
  public static byte[] write(Graph g) {
    io.kiln.ir.Requant.requireTflite(g, "a TFLite file");
    return new TfliteWriter(Verifier.verify(g)).build();
  }

  private byte[] build() {
    for (Value v : graph.values()) {
      tensors.add(new TensorSpec(v.name(), v.dtype(), v.shape().dims(), v.quant(),
          v.isConstant() ? v.data().bytes() : null));
    }
    List<Node> nodes = graph.nodes();
    for (int k = 0; k < nodes.size(); k++) {
      plan(nodes.get(k), k);
    }
    return serialize();
  }

  // ---- planning: IR nodes to TFLite operators ----

  private void plan(Node n, int index) {
    String where = "node " + index + " (" + n.op().opName() + ")";
    int[] in = n.inputs().stream().mapToInt(Integer::intValue).toArray();
    int[] out = {n.output()};
    switch (n.op()) {
      case Op.Conv2D c -> {
        requantizing(n, where);
        WindowPadding p = convPadding(n, in, c.pads(), c.strideH(), c.strideW(), c.dilationH(),
            c.dilationW());
        emit(BuiltinOperator.CONV_2D, p.inputs(), out, BuiltinOptions.Conv2DOptions,
            b -> org.tensorflow.lite.schema.Conv2DOptions.createConv2DOptions(b, p.padding(),
                c.strideW(), c.strideH(), activation(c.act()), c.dilationW(), c.dilationH()));
      }
      case Op.DepthwiseConv2D c -> {
        requantizing(n, where);
        WindowPadding p = convPadding(n, in, c.pads(), c.strideH(), c.strideW(), c.dilationH(),
            c.dilationW());
        emit(BuiltinOperator.DEPTHWISE_CONV_2D, p.inputs(), out,
            BuiltinOptions.DepthwiseConv2DOptions,
            b -> org.tensorflow.lite.schema.DepthwiseConv2DOptions.createDepthwiseConv2DOptions(b,
                p.padding(), c.strideW(), c.strideH(), c.depthMultiplier(), activation(c.act()),
                c.dilationW(), c.dilationH()));
      }
      case Op.FullyConnected f -> {
        requantizing(n, where);
        emit(BuiltinOperator.FULLY_CONNECTED, in, out, BuiltinOptions.FullyConnectedOptions,
            b -> org.tensorflow.lite.schema.FullyConnectedOptions.createFullyConnectedOptions(b,
                activation(f.act()), (byte) 0, f.keepNumDims(), false));
      }
      case Op.TransposeConv t -> {
        requantizing(n, where);
        Shape filter = graph.type(n.input(Op.TransposeConv.FILTER)).shape();
        byte padding = transposeConvPadding(t, filter, where);
        int outputShape = n.hasInput(Op.TransposeConv.OUTPUT_SHAPE)
            ? n.input(Op.TransposeConv.OUTPUT_SHAPE)
            : constInts("output_shape", t.outputShape().dims());
        int bias = n.input(Op.TransposeConv.BIAS);
        int[] tflIn = bias == Node.ABSENT
            ? new int[] {outputShape, n.input(Op.TransposeConv.FILTER),
                n.input(Op.TransposeConv.INPUT)}
            : new int[] {outputShape, n.input(Op.TransposeConv.FILTER),
                n.input(Op.TransposeConv.INPUT), bias};
        emit(BuiltinOperator.TRANSPOSE_CONV, tflIn, out, BuiltinOptions.TransposeConvOptions,
            b -> org.tensorflow.lite.schema.TransposeConvOptions.createTransposeConvOptions(b,
                padding, t.strideW(), t.strideH(), activation(t.act())));
      }
      case Op.AveragePool2D p -> pool(BuiltinOperator.AVERAGE_POOL_2D, n, in, out, p.filterH(),
          p.filterW(), p.strideH(), p.strideW(), p.pads(), p.act(), where);
      case Op.MaxPool2D p -> pool(BuiltinOperator.MAX_POOL_2D, n, in, out, p.filterH(),
          p.filterW(), p.strideH(), p.strideW(), p.pads(), p.act(), where);
      case Op.Add a -> emit(BuiltinOperator.ADD, in, out, BuiltinOptions.AddOptions,
          b -> org.tensorflow.lite.schema.AddOptions.createAddOptions(b, activation(a.act()),
              true));
      case Op.Sub s -> emit(BuiltinOperator.SUB, in, out, BuiltinOptions.SubOptions,
          b -> org.tensorflow.lite.schema.SubOptions.createSubOptions(b, activation(s.act()),
              true));
      case Op.Mul m -> emit(BuiltinOperator.MUL, in, out, BuiltinOptions.MulOptions,
          b -> org.tensorflow.lite.schema.MulOptions.createMulOptions(b, activation(m.act())));
      case Op.Reshape r -> reshape(in[Op.Reshape.INPUT], out, r.newShape());
      // TFLite has no identity; a reshape to the same shape moves the same bytes.
      case Op.Identity i -> reshape(in[Op.Identity.INPUT], out,
          graph.type(n.output()).shape());
      case Op.Softmax s -> emit(BuiltinOperator.SOFTMAX, in, out, BuiltinOptions.SoftmaxOptions,
          b -> org.tensorflow.lite.schema.SoftmaxOptions.createSoftmaxOptions(b, s.beta()));
      case Op.Quantize q -> {
        if (q.scheme() != RequantScheme.FIXED_POINT) {
          throw unsupported(where, "rounds with " + q.scheme() + "; TFLite's QUANTIZE rounds"
              + " with the fixed-point scheme");
        }
        emit(BuiltinOperator.QUANTIZE, in, out, BuiltinOptions.NONE, null);
      }
      case Op.Dequantize d -> emit(BuiltinOperator.DEQUANTIZE, in, out,
          BuiltinOptions.NONE, null);
      case Op.Pad p -> {
        int[] pairs = new int[2 * p.before().size()];
        for (int i = 0; i < p.before().size(); i++) {
          pairs[2 * i] = p.before().get(i);
          pairs[2 * i + 1] = p.after().get(i);
        }
        int paddings = constInts("paddings", pairs, p.before().size(), 2);
        emit(BuiltinOperator.PAD, new int[] {in[Op.Pad.INPUT], paddings}, out,
            BuiltinOptions.NONE, null);
      }
      case Op.LeakyRelu l -> emit(BuiltinOperator.LEAKY_RELU, in, out,
          BuiltinOptions.LeakyReluOptions,
          b -> org.tensorflow.lite.schema.LeakyReluOptions.createLeakyReluOptions(b, l.alpha()));
      case Op.StridedSlice s -> {
        int begin = constInts("begin", ints(s.begin()));
        int end = constInts("end", ints(s.end()));
        int strides = constInts("strides", ints(s.strides()));
        emit(BuiltinOperator.STRIDED_SLICE, new int[] {in[Op.StridedSlice.INPUT], begin, end,
            strides}, out, BuiltinOptions.StridedSliceOptions,
            b -> org.tensorflow.lite.schema.StridedSliceOptions.createStridedSliceOptions(b,
                s.beginMask(), s.endMask(), s.ellipsisMask(), s.newAxisMask(),
                s.shrinkAxisMask(), s.offset()));
      }
      case Op.Concatenation c -> emit(BuiltinOperator.CONCATENATION, in, out,
          BuiltinOptions.ConcatenationOptions,
          b -> org.tensorflow.lite.schema.ConcatenationOptions.createConcatenationOptions(b,
              c.axis(), activation(c.act())));
      case Op.Relu r -> emit(BuiltinOperator.RELU, in, out, BuiltinOptions.NONE, null);
      case Op.Relu6 r -> emit(BuiltinOperator.RELU6, in, out, BuiltinOptions.NONE, null);
      case Op.Logistic l -> emit(BuiltinOperator.LOGISTIC, in, out, BuiltinOptions.NONE, null);
      case Op.Tanh t -> emit(BuiltinOperator.TANH, in, out, BuiltinOptions.NONE, null);
      case Op.Mean m -> {
        int axes = constInts("axis", ints(m.axes()));
        emit(BuiltinOperator.MEAN, new int[] {in[Op.Mean.INPUT], axes}, out,
            BuiltinOptions.ReducerOptions,
            b -> org.tensorflow.lite.schema.ReducerOptions.createReducerOptions(b, m.keepDims()));
      }
      case Op.Transpose t -> {
        int perm = constInts("perm", ints(t.perm()));
        emit(BuiltinOperator.TRANSPOSE, new int[] {in[Op.Transpose.INPUT], perm}, out,
            BuiltinOptions.NONE, null);
      }
      case Op.Div d -> throw unsupported(where, null);
      case Op.Maximum m -> throw unsupported(where, null);
      case Op.Minimum m -> throw unsupported(where, null);
      case Op.PRelu p -> throw unsupported(where, null);
      case Op.Clip c -> throw unsupported(where, null);
      case Op.HardSigmoid h -> throw unsupported(where, null);
      case Op.HardSwish h -> throw unsupported(where, null);
      case Op.Elu e -> throw unsupported(where, null);
      case Op.BatchNorm b -> throw unsupported(where, null);
      case Op.Cast c -> throw unsupported(where, null);
      case Op.Signal s -> throw unsupported(where, "is a custom signal operator, which Kiln's"
          + " writer does not write yet");
      case Op.MatMul m -> throw unsupported(where, null);
      case Op.Abs a -> throw unsupported(where, null);
      case Op.Neg ng -> throw unsupported(where, null);
      case Op.Exp e -> throw unsupported(where, null);
      case Op.Log l -> throw unsupported(where, null);
      case Op.Sqrt s -> throw unsupported(where, null);
      case Op.Pow p -> throw unsupported(where, null);
      case Op.Svdf s -> throw unsupported(where, "keeps a variable tensor, which Kiln's writer"
          + " does not write yet");
      case Op.UnidirectionalLstm l -> throw unsupported(where, "keeps variable tensors, which"
          + " Kiln's writer does not write yet");
      case Op.ShapeOf sh -> throw unsupported(where, null);
      case Op.Gather ga -> throw unsupported(where, null);
      case Op.Resize rs -> throw unsupported(where, null);
      case Op.BatchMatMul bm -> throw unsupported(where, null);
    }
  }

  private static KilnException unsupported(String where, String why) {
    return new KilnException("cannot export to tflite: " + where
        + (why == null ? " has no TFLite operator in Kiln's writer" : " " + why));
  }

  /**
   * TFLite's integer conv/FC kernels requantize to their output type themselves; Kiln's raw int32
   * accumulator form (integer inputs, int32 output) has no TFLite operator.
   */
  private void requantizing(Node n, String where) {
    DType in = graph.type(n.input(0)).dtype();
    DType out = graph.type(n.output()).dtype();
    if (in.isInteger() && out == DType.INT32) {
      throw unsupported(where, "produces raw int32 accumulators; TFLite's operator requantizes"
          + " (run the optimization passes first to fuse the Quantize)");
    }
  }

  /** Padding type plus the operator's TFLite inputs (the data input may be a new PAD's output). */
  private record WindowPadding(byte padding, int[] inputs) {}

  private WindowPadding convPadding(Node n, int[] in, Op.Pads pads, int strideH, int strideW,
      int dilationH, int dilationW) {
    Shape input = graph.type(in[0]).shape();
    Shape filter = graph.type(in[1]).shape();
    byte padding = windowPadding(pads, strideH, strideW, dilationH, dilationW, input, filter.dim(1),
        filter.dim(2));
    if (padding >= 0) {
      return new WindowPadding(padding, in);
    }
    // Zero padding in real terms is the zero point in the quantized domain, which is what PAD
    // writes, so PAD + VALID convolution computes exactly the explicitly padded convolution.
    int[] pairs = {0, 0, pads.top(), pads.bottom(), pads.left(), pads.right(), 0, 0};
    TensorType t = graph.type(in[0]);
    int[] padded = {input.dim(0), input.dim(1) + pads.top() + pads.bottom(),
        input.dim(2) + pads.left() + pads.right(), input.dim(3)};
    int paddings = constInts(graph.value(in[0]).name() + "/paddings", pairs, 4, 2);
    int paddedTensor = addTensor(new TensorSpec(graph.value(in[0]).name() + "/padded",
        t.dtype(), padded, t.quant(), null));
    emit(BuiltinOperator.PAD, new int[] {in[0], paddings}, new int[] {paddedTensor},
        BuiltinOptions.NONE, null);
    int[] rewired = in.clone();
    rewired[0] = paddedTensor;
    return new WindowPadding(TflitePadding.VALID, rewired);
  }

  /**
   * VALID when there are no pads (VALID always computes none, and the output sizes then agree);
   * SAME when the pads are exactly the ones TFLite computes for SAME; else -1. With SAME pads
   * whose total is positive the output sizes agree too: (in + total - effective) / stride + 1 is
   * TFLite's ceil(in / stride).
   */
  static byte windowPadding(Op.Pads pads, int strideH, int strideW, int dilationH, int dilationW,
      Shape input, int filterH, int filterW) {
    if (pads.equals(Op.Pads.NONE)) {
      return TflitePadding.VALID;
    }
    Op.Pads same = TflitePadding.forWindow(TflitePadding.SAME, strideH, strideW, dilationH,
        dilationW, input.dim(1), input.dim(2), filterH, filterW);
    return same.equals(pads) ? TflitePadding.SAME : -1;
  }

  private byte transposeConvPadding(Op.TransposeConv t, Shape filter, String where) {
    for (byte padding : new byte[] {TflitePadding.VALID, TflitePadding.SAME}) {
      Op.Pads p = TflitePadding.forTransposeConv(padding, t.strideH(), t.strideW(),
          t.outputShape().dim(1), t.outputShape().dim(2), filter.dim(1), filter.dim(2));
      if (p.equals(t.pads())) {
        return padding;
      }
    }
    throw unsupported(where, "has pads " + t.pads() + " that neither SAME nor VALID produce");
  }

  private void pool(int builtin, Node n, int[] in, int[] out, int filterH, int filterW,
      int strideH, int strideW, Op.Pads pads, Op.Activation act, String where) {
    byte padding = windowPadding(pads, strideH, strideW, 1, 1, graph.type(in[0]).shape(),
        filterH, filterW);
    if (padding < 0) {
      // A PAD before the pool would change the window contents (max) or divisors (average).
      throw unsupported(where, "has pads " + pads + " that neither SAME nor VALID produce");
    }
    emit(builtin, in, out, BuiltinOptions.Pool2DOptions,
        b -> org.tensorflow.lite.schema.Pool2DOptions.createPool2DOptions(b, padding, strideW,
            strideH, filterW, filterH, activation(act)));
  }

  private void reshape(int input, int[] out, Shape newShape) {
    int[] dims = newShape.dims();
    int shape = constInts(graph.value(out[0]).name() + "/shape", dims);
    emit(BuiltinOperator.RESHAPE, new int[] {input, shape}, out, BuiltinOptions.ReshapeOptions,
        b -> org.tensorflow.lite.schema.ReshapeOptions.createReshapeOptions(b,
            org.tensorflow.lite.schema.ReshapeOptions.createNewShapeVector(b, dims)));
  }

  private void emit(int builtin, int[] inputs, int[] outputs, byte optionsType,
      ToIntFunction<FlatBufferBuilder> options) {
    ops.add(new OpSpec(builtin, inputs, outputs, optionsType, options));
  }

  private int constInts(String name, int[] values) {
    return constInts(name, values, values.length);
  }

  /** A new int32 constant tensor (attribute tensors: shapes, paddings, axes, permutations). */
  private int constInts(String name, int[] values, int... shape) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return addTensor(new TensorSpec(name, DType.INT32, shape, Quantization.NONE, b.array()));
  }

  private int addTensor(TensorSpec t) {
    tensors.add(t);
    return tensors.size() - 1;
  }

  private static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  static byte activation(Op.Activation a) {
    return switch (a) {
      case NONE -> ActivationFunctionType.NONE;
      case RELU -> ActivationFunctionType.RELU;
      case RELU_N1_TO_1 -> ActivationFunctionType.RELU_N1_TO_1;
      case RELU6 -> ActivationFunctionType.RELU6;
      case TANH -> ActivationFunctionType.TANH;
      case SIGN_BIT -> ActivationFunctionType.SIGN_BIT;
    };
  }

  static byte tensorType(DType d) {
    return switch (d) {
      case INT8 -> org.tensorflow.lite.schema.TensorType.INT8;
      case UINT8 -> org.tensorflow.lite.schema.TensorType.UINT8;
      case INT16 -> org.tensorflow.lite.schema.TensorType.INT16;
      case INT32 -> org.tensorflow.lite.schema.TensorType.INT32;
      case INT64 -> org.tensorflow.lite.schema.TensorType.INT64;
      case UINT32 -> org.tensorflow.lite.schema.TensorType.UINT32;
      case UINT64 -> org.tensorflow.lite.schema.TensorType.UINT64;
      case FLOAT32 -> org.tensorflow.lite.schema.TensorType.FLOAT32;
      case BOOL -> org.tensorflow.lite.schema.TensorType.BOOL;
    };
  }

  // ---- serialization: children before parents, as flatbuffers require ----

  private byte[] serialize() {
    FlatBufferBuilder b = new FlatBufferBuilder(1 << 16);
    // Buffer 0 is the empty "no data" sentinel every activation tensor points at.
    List<Integer> buffers = new ArrayList<>();
    buffers.add(Buffer.createBuffer(b, 0));
    int[] tensorOffsets = new int[tensors.size()];
    for (int i = 0; i < tensors.size(); i++) {
      TensorSpec t = tensors.get(i);
      int buffer = 0;
      if (t.data() != null) {
        int data = alignedBytes(b, t.data());
        buffers.add(Buffer.createBuffer(b, data));
        buffer = buffers.size() - 1;
      }
      int name = b.createString(t.name());
      int shape = Tensor.createShapeVector(b, t.shape());
      int quant = quantization(b, t.quant());
      Tensor.startTensor(b);
      Tensor.addShape(b, shape);
      Tensor.addType(b, tensorType(t.dtype()));
      Tensor.addBuffer(b, buffer);
      Tensor.addName(b, name);
      if (quant != 0) {
        Tensor.addQuantization(b, quant);
      }
      tensorOffsets[i] = Tensor.endTensor(b);
    }

    Map<Integer, Integer> opcodeIndex = new LinkedHashMap<>();
    int[] opOffsets = new int[ops.size()];
    for (int i = 0; i < ops.size(); i++) {
      OpSpec op = ops.get(i);
      int opcode = opcodeIndex.computeIfAbsent(op.builtin(), k -> opcodeIndex.size());
      int options = op.options() == null ? 0 : op.options().applyAsInt(b);
      int inputs = Operator.createInputsVector(b, op.inputs());
      int outputs = Operator.createOutputsVector(b, op.outputs());
      Operator.startOperator(b);
      Operator.addOpcodeIndex(b, opcode);
      Operator.addInputs(b, inputs);
      Operator.addOutputs(b, outputs);
      if (options != 0) {
        Operator.addBuiltinOptionsType(b, op.optionsType());
        Operator.addBuiltinOptions(b, options);
      }
      opOffsets[i] = Operator.endOperator(b);
    }
    int[] codeOffsets = new int[opcodeIndex.size()];
    for (Map.Entry<Integer, Integer> e : opcodeIndex.entrySet()) {
      int code = e.getKey();
      // Readers take the larger of the two fields; old ones only know the int8 one.
      byte deprecated = (byte) Math.min(code, BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES);
      codeOffsets[e.getValue()] = OperatorCode.createOperatorCode(b, deprecated, 0, 1, code);
    }

    int subgraphName = b.createString(graph.name());
    int tensorVector = SubGraph.createTensorsVector(b, tensorOffsets);
    int inputVector = SubGraph.createInputsVector(b, ints(graph.inputs()));
    int outputVector = SubGraph.createOutputsVector(b, ints(graph.outputs()));
    int operatorVector = SubGraph.createOperatorsVector(b, opOffsets);
    int subgraph = SubGraph.createSubGraph(b, tensorVector, inputVector, outputVector,
        operatorVector, subgraphName);

    int codes = Model.createOperatorCodesVector(b, codeOffsets);
    int subgraphs = Model.createSubgraphsVector(b, new int[] {subgraph});
    int description = b.createString("Kiln export");
    int bufferVector = Model.createBuffersVector(b,
        buffers.stream().mapToInt(Integer::intValue).toArray());
    Model.startModel(b);
    Model.addVersion(b, SCHEMA_VERSION);
    Model.addOperatorCodes(b, codes);
    Model.addSubgraphs(b, subgraphs);
    Model.addDescription(b, description);
    Model.addBuffers(b, bufferVector);
    Model.finishModelBuffer(b, Model.endModel(b));
    return b.sizedByteArray();
  }

  private static int alignedBytes(FlatBufferBuilder b, byte[] data) {
    b.startVector(1, data.length, BUFFER_ALIGNMENT);
    for (int i = data.length - 1; i >= 0; i--) {
      b.putByte(data[i]);
    }
    return b.endVector();
  }

  /** The quantization table, or 0 for an unquantized tensor. */
  private static int quantization(FlatBufferBuilder b, Quantization q) {
    return switch (q) {
      case Quantization.None n -> 0;
      case Quantization.PerTensor p -> QuantizationParameters.createQuantizationParameters(b, 0,
          0, QuantizationParameters.createScaleVector(b, new float[] {p.scale()}),
          QuantizationParameters.createZeroPointVector(b, new long[] {p.zeroPoint()}), (byte) 0,
          0, 0);
      case Quantization.PerAxis p -> QuantizationParameters.createQuantizationParameters(b, 0,
          0, QuantizationParameters.createScaleVector(b, p.scales()),
          QuantizationParameters.createZeroPointVector(b, p.zeroPoints()), (byte) 0, 0,
          p.axis());
    };
  }
}
