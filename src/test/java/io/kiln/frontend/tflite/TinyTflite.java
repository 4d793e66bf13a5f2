package io.kiln.frontend.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToIntFunction;
import org.tensorflow.lite.schema.Buffer;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.OperatorCode;
import org.tensorflow.lite.schema.QuantizationParameters;
import org.tensorflow.lite.schema.SubGraph;
import org.tensorflow.lite.schema.Tensor;

/** Writes small single-subgraph .tflite files for tests, with the schema's own builders. */
final class TinyTflite {
  private record TensorSpec(String name, byte type, int[] shape, float[] scales, long[] zeroPoints,
      int quantizedDimension, byte[] data, boolean variable) {
    TensorSpec(String name, byte type, int[] shape, float[] scales, long[] zeroPoints,
        int quantizedDimension, byte[] data) {
      this(name, type, shape, scales, zeroPoints, quantizedDimension, data, false);
    }
  }

  private record OpSpec(int code, byte deprecatedCode, String custom, int[] inputs,
      int[] outputs, byte optionsType, ToIntFunction<FlatBufferBuilder> options) {}

  private final List<TensorSpec> tensors = new ArrayList<>();
  private final List<OpSpec> ops = new ArrayList<>();
  private int[] inputs = new int[0];
  private int[] outputs = new int[0];
  private boolean externalBuffers;
  private boolean identifier = true;

  /** An activation tensor, per-tensor quantized when {@code scale > 0}. */
  int tensor(String name, byte type, int[] shape, float scale, long zeroPoint) {
    return add(new TensorSpec(name, type, shape,
        scale > 0 ? new float[] {scale} : null, scale > 0 ? new long[] {zeroPoint} : null, 0,
        null));
  }

  int tensor(String name, byte type, int... shape) {
    return tensor(name, type, shape, 0, 0);
  }

  int perAxis(String name, byte type, int[] shape, float[] scales, int axis, byte[] data) {
    return add(new TensorSpec(name, type, shape, scales, new long[scales.length], axis, data));
  }

  int constant(String name, byte type, int[] shape, float scale, long zeroPoint, byte[] data) {
    return add(new TensorSpec(name, type, shape,
        scale > 0 ? new float[] {scale} : null, scale > 0 ? new long[] {zeroPoint} : null, 0,
        data));
  }

  /**
   * A tensor with exactly these quantization parameters, however invalid (hostile-input tests);
   * {@code data} null for an activation.
   */
  int quantized(String name, byte type, int[] shape, float[] scales, long[] zeroPoints, int axis,
      byte[] data) {
    return add(new TensorSpec(name, type, shape, scales, zeroPoints, axis, data));
  }

  /** A variable tensor ({@code is_variable}: operator state), quantized when scale > 0. */
  int variable(String name, byte type, int[] shape, float scale, long zeroPoint) {
    return add(new TensorSpec(name, type, shape, scale > 0 ? new float[] {scale} : null,
        scale > 0 ? new long[] {zeroPoint} : null, 0, null, true));
  }

  /** A constant int32 vector (perm, axes, paddings, ...). */
  int ints(String name, int[] shape, int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return constant(name, org.tensorflow.lite.schema.TensorType.INT32, shape, 0, 0, b.array());
  }

  TinyTflite op(int code, int[] in, int[] out, byte optionsType,
      ToIntFunction<FlatBufferBuilder> options) {
    ops.add(new OpSpec(code, (byte) Math.min(code, 127), null, in, out, optionsType, options));
    return this;
  }

  TinyTflite op(int code, int[] in, int[] out) {
    return op(code, in, out, (byte) 0, null);
  }

  /** An operator whose code is only in the old int8 field, as files before schema 3a have. */
  TinyTflite deprecatedOnly(int code, int[] in, int[] out) {
    ops.add(new OpSpec(0, (byte) code, null, in, out, (byte) 0, null));
    return this;
  }

  TinyTflite custom(String name, int[] in, int[] out) {
    ops.add(new OpSpec(BuiltinOperator.CUSTOM, (byte) BuiltinOperator.CUSTOM, name, in, out,
        (byte) 0, null));
    return this;
  }

  TinyTflite io(int[] in, int[] out) {
    inputs = in;
    outputs = out;
    return this;
  }

  /** Stores constant data after the flatbuffer via Buffer.offset/size (the >2 GB layout). */
  TinyTflite externalBuffers() {
    externalBuffers = true;
    return this;
  }

  /** Leaves out the optional 'TFL3' file identifier, as some converters do. */
  TinyTflite withoutIdentifier() {
    identifier = false;
    return this;
  }

  byte[] build() {
    if (!externalBuffers) {
      return serialize(null);
    }
    // Field presence fixes the layout, so a placeholder pass tells where the flatbuffer ends.
    long[] placeholder = new long[tensors.size() + 1];
    Arrays.fill(placeholder, 2);
    int end = align16(serialize(placeholder).length);
    long[] offsets = new long[tensors.size() + 1];
    int at = end;
    for (int i = 0; i < tensors.size(); i++) {
      byte[] d = tensors.get(i).data();
      if (d != null) {
        offsets[i + 1] = at;
        at = align16(at + d.length);
      }
    }
    byte[] fb = serialize(offsets);
    byte[] file = Arrays.copyOf(fb, at);
    for (int i = 0; i < tensors.size(); i++) {
      byte[] d = tensors.get(i).data();
      if (d != null) {
        System.arraycopy(d, 0, file, (int) offsets[i + 1], d.length);
      }
    }
    return file;
  }

  private static int align16(int n) {
    return (n + 15) & ~15;
  }

  private int add(TensorSpec t) {
    tensors.add(t);
    return tensors.size() - 1;
  }

  private byte[] serialize(long[] externalOffsets) {
    FlatBufferBuilder b = new FlatBufferBuilder(1024);
    // Buffer 0 is the empty sentinel; tensor i with data uses buffer i + 1.
    int[] buffers = new int[tensors.size() + 1];
    buffers[0] = Buffer.createBuffer(b, 0);
    for (int i = 0; i < tensors.size(); i++) {
      byte[] d = tensors.get(i).data();
      if (d == null) {
        buffers[i + 1] = Buffer.createBuffer(b, 0);
      } else if (externalOffsets == null) {
        buffers[i + 1] = Buffer.createBuffer(b, Buffer.createDataVector(b, d));
      } else {
        b.startTable(3);
        b.addLong(1, externalOffsets[i + 1], 0);
        b.addLong(2, d.length, 0);
        buffers[i + 1] = b.endTable();
      }
    }
    int[] tensorOffsets = new int[tensors.size()];
    for (int i = 0; i < tensors.size(); i++) {
      TensorSpec t = tensors.get(i);
      int q = 0;
      if (t.scales() != null) {
        int s = QuantizationParameters.createScaleVector(b, t.scales());
        int z = QuantizationParameters.createZeroPointVector(b, t.zeroPoints());
        q = QuantizationParameters.createQuantizationParameters(b, 0, 0, s, z, (byte) 0, 0,
            t.quantizedDimension());
      }
      int shape = Tensor.createShapeVector(b, t.shape());
      int name = b.createString(t.name());
      tensorOffsets[i] = Tensor.createTensor(b, shape, t.type(), t.data() == null ? 0 : i + 1,
          name, q, t.variable(), 0, 0, false, 0);
    }
    int[] codes = new int[ops.size()];
    int[] opOffsets = new int[ops.size()];
    for (int i = 0; i < ops.size(); i++) {
      OpSpec o = ops.get(i);
      int custom = o.custom() == null ? 0 : b.createString(o.custom());
      codes[i] = OperatorCode.createOperatorCode(b, o.deprecatedCode(), custom, 1, o.code());
      int options = o.options() == null ? 0 : o.options().applyAsInt(b);
      int in = Operator.createInputsVector(b, o.inputs());
      int out = Operator.createOutputsVector(b, o.outputs());
      opOffsets[i] = Operator.createOperator(b, i, in, out, o.optionsType(), options, 0,
          (byte) 0, 0, 0);
    }
    int subgraph = SubGraph.createSubGraph(b, SubGraph.createTensorsVector(b, tensorOffsets),
        SubGraph.createInputsVector(b, inputs), SubGraph.createOutputsVector(b, outputs),
        SubGraph.createOperatorsVector(b, opOffsets), b.createString("main"));
    int model = Model.createModel(b, 3, Model.createOperatorCodesVector(b, codes),
        Model.createSubgraphsVector(b, new int[] {subgraph}), b.createString("tiny"),
        Model.createBuffersVector(b, buffers), 0, 0, 0);
    if (identifier) {
      Model.finishModelBuffer(b, model);
    } else {
      b.finish(model);
    }
    return b.sizedByteArray();
  }
}
