package io.kiln.frontend.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;

/** Builds small ONNX models in memory for importer tests. */
final class TinyOnnx {
  static final int FLOAT = 1;
  static final int UINT8 = 2;
  static final int INT8 = 3;
  static final int INT64 = 7;

  private final GraphProto.Builder graph = GraphProto.newBuilder().setName("tiny");
  private long opset = 17;

  TinyOnnx opset(long v) {
    opset = v;
    return this;
  }

  TinyOnnx input(String name, int type, long... dims) {
    graph.addInput(info(name, type, dims));
    return this;
  }

  TinyOnnx output(String name, int type, long... dims) {
    graph.addOutput(info(name, type, dims));
    return this;
  }

  TinyOnnx floats(String name, float[] values, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT);
    for (long d : dims) {
      t.addDims(d);
    }
    for (float v : values) {
      t.addFloatData(v);
    }
    graph.addInitializer(t);
    return this;
  }

  TinyOnnx ints(String name, int type, long[] values, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
    for (long d : dims) {
      t.addDims(d);
    }
    for (long v : values) {
      if (type == INT64) {
        t.addInt64Data(v);
      } else {
        t.addInt32Data((int) v);
      }
    }
    graph.addInitializer(t);
    return this;
  }

  TinyOnnx node(String op, List<String> ins, List<String> outs, AttributeProto... attrs) {
    graph.addNode(NodeProto.newBuilder().setOpType(op).addAllInput(ins).addAllOutput(outs)
        .addAllAttribute(List.of(attrs)));
    return this;
  }

  static AttributeProto ints(String name, long... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      a.addInts(x);
    }
    return a.build();
  }

  byte[] bytes() {
    return ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(graph).build().toByteArray();
  }

  private static ValueInfoProto info(String name, int type, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
  }
}
