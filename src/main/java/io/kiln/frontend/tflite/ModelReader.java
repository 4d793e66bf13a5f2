package io.kiln.frontend.tflite;

import io.kiln.KilnException;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.Buffer;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.OperatorCode;
import org.tensorflow.lite.schema.SubGraph;
import org.tensorflow.lite.schema.Tensor;

/**
 * Walks subgraph 0 of one TFLite model and builds the IR graph: tensors become values (graph
 * inputs, constants with their buffer bytes, operator results) and operators become nodes in file
 * order. Every index and length read from the file is checked before use.
 */
final class ModelReader implements TfliteOperators.Tensors {
  private static final int SCHEMA_VERSION = 3;

  private final byte[] bytes;
  private final ByteBuffer bb;
  private final ReadGuard guard;
  private final Model model;
  private final SubGraph subgraph;
  private final int tensorCount;
  private final int bufferCount;
  private final TensorType[] types;
  /** Value id of each TFLite tensor once it has one, else -1. */
  private final int[] valueOf;
  private final boolean[] constantTensor;
  /** One ConstData per buffer, shared by every tensor that uses it. */
  private final Map<Integer, ConstData> constants = new HashMap<>();
  private final GraphBuilder builder;
  /** Variable tensors an operator has taken as its own state. */
  private final java.util.Set<Integer> variableOwners = new java.util.HashSet<>();
  /** The custom-code name of each custom operator Kiln maps, by operator index. */
  private final Map<Integer, String> customNames = new HashMap<>();

  ModelReader(byte[] bytes, String name, ReadGuard guard) {
    this.bytes = bytes;
    this.bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    this.guard = guard;
    this.model = Model.getRootAsModel(bb);
    if (model.version() != SCHEMA_VERSION) {
      // A file without the identifier and with another version is more likely not TFLite at all.
      throw new ReadGuard.Corrupt("unsupported TFLite schema version " + model.version() + " in "
          + name + " (expected " + SCHEMA_VERSION + ")");
    }
    int subgraphs = guard.length(model.subgraphsLength(), 4, "subgraph list");
    if (subgraphs == 0) {
      throw guard.corrupt("the model has no subgraphs");
    }
    this.subgraph = model.subgraphs(0);
    if (subgraph == null) {
      throw guard.corrupt("subgraph 0 is missing");
    }
    this.tensorCount = guard.length(subgraph.tensorsLength(), 4, "tensor list");
    this.bufferCount = guard.length(model.buffersLength(), 4, "buffer list");
    this.types = new TensorType[tensorCount];
    this.valueOf = new int[tensorCount];
    java.util.Arrays.fill(valueOf, -1);
    this.constantTensor = new boolean[tensorCount];
    this.builder = new GraphBuilder(name);
  }

  Graph read() {
    int operators = guard.length(subgraph.operatorsLength(), 4, "operator list");
    int opcodeCount = guard.length(model.operatorCodesLength(), 4, "operator code list");
    // Resolve every opcode first, so that every unsupported operator is reported, with its
    // count, before anything else.
    int[] codes = new int[operators];
    Map<String, int[]> unsupported = new LinkedHashMap<>(); // name -> {count, first operator}
    for (int i = 0; i < operators; i++) {
      Operator op = operator(i);
      int opcode = guard.index(op.opcodeIndex(), opcodeCount, "operator " + i + " opcode index");
      OperatorCode oc = model.operatorCodes(opcode);
      if (oc == null) {
        throw guard.corrupt("operator code " + opcode + " is missing");
      }
      int code = TfliteOperators.builtinCode(oc.builtinCode(), oc.deprecatedBuiltinCode());
      if (code == BuiltinOperator.CUSTOM && SignalOperators.supported(oc.customCode())) {
        customNames.put(i, oc.customCode());
      } else if (!TfliteOperators.supported(code)) {
        String name = code == BuiltinOperator.CUSTOM
            ? "CUSTOM:" + ReadGuard.printable(oc.customCode())
            : TfliteOperators.builtinName(code);
        unsupported.computeIfAbsent(name, k -> new int[] {0, 0})[0]++;
        if (unsupported.get(name)[0] == 1) {
          unsupported.get(name)[1] = i;
        }
      }
      codes[i] = code;
    }
    if (!unsupported.isEmpty()) {
      List<String> parts = new ArrayList<>();
      unsupported.forEach((name, c) -> parts.add(name + (c[0] == 1 ? " (operator " + c[1] + ")"
          : " (" + c[0] + "x, first operator " + c[1] + ")")));
      throw new KilnException("unsupported operator" + (parts.size() == 1 ? " " : "s ")
          + String.join(", ", parts) + "; supported: " + TfliteOperators.supportedList());
    }

    int inputs = guard.length(subgraph.inputsLength(), 4, "subgraph input list");
    for (int i = 0; i < inputs; i++) {
      int t = tensorIndex(subgraph.inputs(i), "subgraph input " + i);
      if (valueOf[t] >= 0) {
        throw guard.corrupt("tensor " + t + " is listed twice as a subgraph input");
      }
      valueOf[t] = builder.input(tensorName(t), type(t));
    }

    for (int i = 0; i < operators; i++) {
      readOperator(i, codes[i]);
    }

    int outputs = guard.length(subgraph.outputsLength(), 4, "subgraph output list");
    for (int i = 0; i < outputs; i++) {
      int t = tensorIndex(subgraph.outputs(i), "subgraph output " + i);
      if (valueOf[t] < 0) {
        throw new KilnException("subgraph output " + i + " (tensor " + t + " '"
            + ReadGuard.printable(tensorName(t)) + "') is never computed");
      }
      builder.output(valueOf[t]);
    }
    return builder.build();
  }

  private void readOperator(int index, int code) {
    if (customNames.containsKey(index)) {
      readCustom(index, customNames.get(index));
      return;
    }
    Operator op = operator(index);
    String where = "operator " + index + " (" + TfliteOperators.builtinName(code) + ")";
    int[] in = tensorList(op.inputsLength(), op::inputs, where + " input", true);
    int[] out = tensorList(op.outputsLength(), op::outputs, where + " output", false);
    if (TfliteSplitPack.handles(code)) {
      TfliteSplitPack.lower(code, op, in, out, splitPackSink(where), where);
      return;
    }
    if (out.length != 1) {
      throw new KilnException(where + " has " + out.length + " outputs, expected 1");
    }
    TfliteOperators.checkArity(code, in, where);
    TfliteOperators.Mapped m = TfliteOperators.map(code, op, in, out[0], this, where);

    List<Integer> inputIds = new ArrayList<>();
    for (int slot = 0; slot < m.inputs().length; slot++) {
      int t = m.inputs()[slot];
      inputIds.add(t < 0 ? Node.ABSENT : operand(t, where, slot));
    }
    int o = out[0];
    if (valueOf[o] >= 0) {
      throw new KilnException(where + " writes tensor " + o + " '"
          + ReadGuard.printable(tensorName(o)) + "', which is already defined");
    }
    valueOf[o] = builder.value(tensorName(o), type(o));
    builder.node(m.op(), inputIds, List.of(valueOf[o]));
  }

  /** Builds the nodes that {@link TfliteSplitPack} lowers an operator to. */
  private TfliteSplitPack.Sink splitPackSink(String where) {
    return new TfliteSplitPack.Sink() {
      @Override
      public TensorType type(int tensor) {
        return ModelReader.this.type(tensor);
      }

      @Override
      public int[] constInts(int tensor, String what) {
        return ModelReader.this.constInts(tensor, what);
      }

      @Override
      public int operand(int tensor, int slot) {
        return ModelReader.this.operand(tensor, where, slot);
      }

      @Override
      public int output(int tensor) {
        if (valueOf[tensor] >= 0) {
          throw new KilnException(where + " writes tensor " + tensor + " '"
              + ReadGuard.printable(tensorName(tensor)) + "', which is already defined");
        }
        valueOf[tensor] = builder.value(tensorName(tensor), ModelReader.this.type(tensor));
        return valueOf[tensor];
      }

      @Override
      public int intermediate(int tensor, String suffix, TensorType type) {
        return builder.value(tensorName(tensor) + suffix, type);
      }

      @Override
      public void node(Op op, List<Integer> inputs, int output) {
        builder.node(op, inputs, List.of(output));
      }
    };
  }

  /** A custom operator: one or more IR nodes, each writing one of the operator's outputs. */
  private void readCustom(int index, String name) {
    Operator op = operator(index);
    String where = "operator " + index + " (" + ReadGuard.printable(name) + ")";
    int[] in = tensorList(op.inputsLength(), op::inputs, where + " input", true);
    int[] out = tensorList(op.outputsLength(), op::outputs, where + " output", false);
    int n = guard.length(op.customOptionsLength(), 1, where + " custom options");
    byte[] options = new byte[n];
    if (n > 0) {
      op.customOptionsAsByteBuffer().get(options);
    }
    for (SignalOperators.Part part : SignalOperators.map(name, FlexOptions.parse(options, where),
        in, out, this, where)) {
      List<Integer> inputIds = new ArrayList<>();
      for (int slot = 0; slot < part.inputs().length; slot++) {
        int t = part.inputs()[slot];
        inputIds.add(t < 0 ? Node.ABSENT : operand(t, where, slot));
      }
      int o = part.output();
      if (valueOf[o] >= 0) {
        throw new KilnException(where + " writes tensor " + o + " '"
            + ReadGuard.printable(tensorName(o)) + "', which is already defined");
      }
      valueOf[o] = builder.value(tensorName(o), type(o));
      builder.node(part.op(), inputIds, List.of(valueOf[o]));
    }
  }

  /** The value feeding an operator input: defined earlier, or a constant created on first use. */
  private int operand(int t, String where, int slot) {
    if (valueOf[t] >= 0) {
      return valueOf[t];
    }
    if (tensor(t).isVariable()) {
      throw new KilnException(where + " input slot " + slot + " reads variable tensor " + t + " '"
          + ReadGuard.printable(tensorName(t)) + "'; Kiln supports variable tensors only as the"
          + " state of SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM");
    }
    ConstData data = constant(t);
    if (data == null) {
      throw new KilnException(where + " input slot " + slot + " reads tensor " + t + " '"
          + ReadGuard.printable(tensorName(t)) + "', which is neither a graph input, a constant"
          + " nor computed by an earlier operator");
    }
    valueOf[t] = builder.constant(tensorName(t), type(t), data);
    constantTensor[t] = true;
    return valueOf[t];
  }

  private interface IntAt {
    int at(int i);
  }

  private int[] tensorList(int length, IntAt at, String what, boolean optional) {
    int n = guard.length(length, 4, what + " list");
    int[] ts = new int[n];
    for (int i = 0; i < n; i++) {
      int t = at.at(i);
      ts[i] = optional && t == -1 ? -1 : tensorIndex(t, what + " " + i);
    }
    return ts;
  }

  private Operator operator(int i) {
    Operator op = subgraph.operators(i);
    if (op == null) {
      throw guard.corrupt("operator " + i + " is missing");
    }
    return op;
  }

  private int tensorIndex(long t, String what) {
    return guard.index(t, tensorCount, what + " tensor index");
  }

  private Tensor tensor(int t) {
    Tensor tensor = subgraph.tensors(t);
    if (tensor == null) {
      throw guard.corrupt("tensor " + t + " is missing");
    }
    return tensor;
  }

  private String tensorName(int t) {
    String n = tensor(t).name();
    return n == null || n.isEmpty() ? "t" + t : n;
  }

  /** Static type of tensor {@code t}; a dynamic batch (-1 in shape_signature) uses the static shape. */
  @Override
  public TensorType type(int t) {
    if (types[t] != null) {
      return types[t];
    }
    Tensor tensor = tensor(t);
    String name = ReadGuard.printable(tensorName(t));
    DType dtype = TfliteOperators.dtype(tensor.type());
    if (dtype == null) {
      throw new KilnException("tensor " + t + " '" + name + "' has unsupported type "
          + TfliteOperators.tensorTypeName(tensor.type())
          + " (supported: FLOAT32, INT8, UINT8, INT16, INT32, INT64, UINT32, UINT64, BOOL)");
    }
    if (tensor.sparsity() != null) {
      throw new KilnException("tensor " + t + " '" + name + "' is sparse; sparse tensors are not"
          + " supported");
    }
    int rank = guard.length(tensor.shapeLength(), 4, "shape of tensor " + t);
    if (rank > ReadGuard.MAX_RANK) {
      throw guard.corrupt("tensor " + t + " has rank " + rank);
    }
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = tensor.shape(i);
    }
    Shape shape;
    try {
      shape = Shape.of(dims);
    } catch (KilnException e) {
      throw new KilnException("tensor " + t + " '" + name + "': " + e.getMessage());
    }
    TensorType type = new TensorType(dtype, shape,
        TfliteQuantization.of(guard, tensor.quantization(), shape, t, name));
    types[t] = type;
    return type;
  }

  /** The tensor's buffer bytes, or null when it has none (an activation). */
  private ConstData constant(int t) {
    Tensor tensor = tensor(t);
    int b = guard.index(tensor.buffer(), bufferCount, "buffer index of tensor " + t);
    if (b == 0) {
      return null; // buffer 0 is TFLite's "no data" sentinel
    }
    TensorType type = type(t);
    if (constants.containsKey(b)) {
      return sized(constants.get(b), type, t);
    }
    byte[] data = bufferBytes(b);
    if (data == null) {
      return null;
    }
    ConstData c = ConstData.ofBytes(data);
    constants.put(b, c);
    return sized(c, type, t);
  }

  private ConstData sized(ConstData c, TensorType type, int t) {
    if (c.byteLength() != type.bytes()) {
      throw new KilnException("tensor " + t + " '" + ReadGuard.printable(tensorName(t)) + "' of "
          + "type " + type.dtype().shortName() + type.shape() + " needs " + type.bytes()
          + " bytes but its buffer has " + c.byteLength());
    }
    return c;
  }

  private byte[] bufferBytes(int b) {
    Buffer buffer = model.buffers(b);
    if (buffer == null) {
      throw guard.corrupt("buffer " + b + " is missing");
    }
    BufferLocation.Extent extent = BufferLocation.of(bb, b);
    if (extent.external()) {
      // Both fields are unsigned: a negative long is beyond any Java array.
      if (extent.offset() < 0 || extent.size() < 0 || extent.offset() > bytes.length
          || extent.size() > bytes.length - extent.offset()) {
        throw guard.corrupt("buffer " + b + " lies at " + Long.toUnsignedString(extent.offset())
            + "+" + Long.toUnsignedString(extent.size()) + ", outside the file's " + bytes.length
            + " bytes (truncated?)");
      }
      return java.util.Arrays.copyOfRange(bytes, (int) extent.offset(),
          (int) (extent.offset() + extent.size()));
    }
    int n = guard.length(buffer.dataLength(), 1, "buffer " + b);
    if (n == 0) {
      return null;
    }
    ByteBuffer view = buffer.dataAsByteBuffer();
    byte[] data = new byte[n];
    view.get(data);
    return data;
  }

  @Override
  public int[] constInts(int t, String what) {
    TensorType type = type(t);
    ConstData data = constant(t);
    String name = ReadGuard.printable(tensorName(t));
    if (data == null || valueOf[t] >= 0 && !isConstantValue(t)) {
      throw new KilnException(what + " tensor " + t + " '" + name + "' must be a constant");
    }
    if (type.dtype() != DType.INT32 && type.dtype() != DType.INT64) {
      throw new KilnException(what + " tensor " + t + " '" + name + "' is "
          + type.dtype().shortName() + ", expected i32 or i64");
    }
    if (type.dtype() == DType.INT32) {
      return data.asInts(DType.INT32);
    }
    long[] longs = data.asLongs(DType.INT64);
    int[] ints = new int[longs.length];
    for (int i = 0; i < longs.length; i++) {
      if (longs[i] != (int) longs[i]) {
        throw new KilnException(what + " tensor '" + name + "' value " + longs[i]
            + " does not fit in 32 bits");
      }
      ints[i] = (int) longs[i];
    }
    return ints;
  }

  @Override
  public double[] constValues(int t, String what) {
    TensorType type = type(t);
    ConstData data = constant(t);
    if (data == null || valueOf[t] >= 0 && !isConstantValue(t)) {
      throw new KilnException(what + " tensor " + t + " '" + ReadGuard.printable(tensorName(t))
          + "' must be a constant");
    }
    if (type.dtype() == DType.FLOAT32) {
      float[] f = data.asFloats();
      double[] d = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        d[i] = f[i];
      }
      return d;
    }
    long[] l = data.asLongs(type.dtype());
    double[] d = new double[l.length];
    for (int i = 0; i < l.length; i++) {
      d[i] = l[i];
    }
    return d;
  }

  @Override
  public TensorType variable(int t, String what, String where) {
    if (t < 0) {
      throw new KilnException(where + " has no " + what + " tensor");
    }
    String name = ReadGuard.printable(tensorName(t));
    if (!tensor(t).isVariable()) {
      throw new KilnException(where + ": " + what + " tensor " + t + " '" + name + "' is not a"
          + " variable tensor (is_variable), which TFLM requires");
    }
    if (valueOf[t] >= 0 || !variableOwners.add(t)) {
      throw new KilnException(where + ": " + what + " tensor " + t + " '" + name + "' is also"
          + " used elsewhere; Kiln supports a variable tensor only as one operator's own state");
    }
    return type(t);
  }

  /** A tensor that already has a value is a constant only if that value carries data. */
  private boolean isConstantValue(int t) {
    return constantTensor[t];
  }
}
