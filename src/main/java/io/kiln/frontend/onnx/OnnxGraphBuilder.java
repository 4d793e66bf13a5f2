package io.kiln.frontend.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The protobuf side of {@link OnnxWriter}: the GraphProto under construction, unique tensor names,
 * nodes, memoized initializers (scalars, int64 lists, scales, zero points) and attributes.
 */
final class OnnxGraphBuilder {
  final GraphProto.Builder g = GraphProto.newBuilder();
  private final Set<String> taken = new HashSet<>();
  private final Map<String, String> cache = new HashMap<>();

  String node(String op, List<String> inputs, AttributeProto... attrs) {
    return node(op, inputs, List.of(attrs));
  }

  String node(String op, List<String> inputs, List<AttributeProto> attrs) {
    return namedNode(op.toLowerCase(java.util.Locale.ROOT) + "_" + g.getNodeCount(), op, inputs,
        attrs);
  }

  /** A node whose output (and name) is a unique form of {@code name}. */
  String namedNode(String name, String op, List<String> inputs, List<AttributeProto> attrs) {
    String out = unique(name);
    g.addNode(NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(inputs)
        .addOutput(out).addAllAttribute(attrs));
    return out;
  }

  /** Memoized tensor names; creating one may create others, so no computeIfAbsent. */
  String cached(String key, java.util.function.Function<String, String> make) {
    String v = cache.get(key);
    if (v == null) {
      v = make.apply(key);
      cache.put(key, v);
    }
    return v;
  }

  String unique(String base) {
    String n = base.isEmpty() ? "t" : base;
    for (int i = 1; !taken.add(n); i++) {
      n = base + "#" + i;
    }
    return n;
  }

  String constant(String base, DType dtype, int[] dims, byte[] data) {
    String n = unique(base);
    TensorProto.Builder t = TensorProto.newBuilder().setName(n).setDataType(onnxType(dtype))
        .setRawData(ByteString.copyFrom(data));
    for (int d : dims) {
      t.addDims(d);
    }
    g.addInitializer(t);
    return n;
  }

  String scalar(float v) {
    return cached("f:" + Float.floatToIntBits(v),
        k -> constant("const_" + v, DType.FLOAT32, new int[0], encodeFloats(v)));
  }

  String longs(String base, long... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : v) {
      b.putLong(x);
    }
    return cached("i64:" + Arrays.toString(v),
        k -> constant(base, DType.INT64, new int[] {v.length}, b.array()));
  }

  String longs(String base, int... v) {
    return longs(base, Arrays.stream(v).asLongStream().toArray());
  }

  String scales(Quantization q) {
    return switch (q) {
      case Quantization.PerTensor p -> scalar(p.scale());
      case Quantization.PerAxis p -> cached("s:" + Arrays.toString(p.scales()),
          k -> constant("scales", DType.FLOAT32, new int[] {p.channels()},
              encodeFloats(p.scales())));
      case Quantization.None n -> throw new IllegalStateException("not quantized");
    };
  }

  String zeroPoints(Quantization q, DType dtype) {
    long[] zps = switch (q) {
      case Quantization.PerTensor p -> new long[] {p.zeroPoint()};
      case Quantization.PerAxis p -> p.zeroPoints();
      case Quantization.None n -> throw new IllegalStateException("not quantized");
    };
    int[] dims = q instanceof Quantization.PerAxis ? new int[] {zps.length} : new int[0];
    ByteBuffer b = ByteBuffer.allocate(zps.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (long z : zps) {
      b.put(encode(dtype, z));
    }
    return cached("zp:" + dtype + Arrays.toString(dims) + Arrays.toString(zps),
        k -> constant("zero_point", dtype, dims, b.array()));
  }

  static byte[] encode(DType dtype, long v) {
    ByteBuffer b = ByteBuffer.allocate(dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case INT8, UINT8, BOOL -> b.put((byte) v);
      case INT16 -> b.putShort((short) v);
      case INT32, UINT32 -> b.putInt((int) v);
      case INT64, UINT64 -> b.putLong(v);
      case FLOAT32 -> b.putFloat(v);
    }
    return b.array();
  }

  static byte[] encodeFloats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  static AttributeProto integer(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(v).build();
  }

  static AttributeProto ints(String name, int... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (int x : v) {
      a.addInts(x);
    }
    return a.build();
  }

  static AttributeProto floatAttr(String name, float v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT)
        .setF(v).build();
  }

  /** ONNX pads: all begins, then all ends. */
  static AttributeProto pads(Op.Pads p) {
    return ints("pads", p.top(), p.left(), p.bottom(), p.right());
  }

  static ValueInfoProto valueInfo(String name, DType dtype, int[] dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (int d : dims) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(onnxType(dtype)).setShape(s)))
        .build();
  }

  static int onnxType(DType d) {
    return switch (d) {
      case FLOAT32 -> TensorProto.DataType.FLOAT_VALUE;
      case UINT8 -> TensorProto.DataType.UINT8_VALUE;
      case INT8 -> TensorProto.DataType.INT8_VALUE;
      case INT16 -> TensorProto.DataType.INT16_VALUE;
      case INT32 -> TensorProto.DataType.INT32_VALUE;
      case INT64 -> TensorProto.DataType.INT64_VALUE;
      case UINT32 -> TensorProto.DataType.UINT32_VALUE;
      case UINT64 -> TensorProto.DataType.UINT64_VALUE;
      case BOOL -> TensorProto.DataType.BOOL_VALUE;
    };
  }
}
