package io.kiln.frontend.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a Kiln ONNX export in ONNX Runtime with Kiln-layout tensors in and out: rank-4 values are
 * permuted NHWC→NCHW on the way in and back on the way out, as {@link OnnxWriter} lays them out.
 */
final class OrtRunner implements AutoCloseable {
  private static final int[] TO_NCHW = {0, 3, 1, 2};
  private static final int[] TO_NHWC = {0, 2, 3, 1};

  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final Graph graph;

  OrtRunner(Graph graph) throws OrtException {
    this.graph = graph;
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(1);
      this.session = env.createSession(OnnxWriter.write(graph), opts);
    }
  }

  List<Tensor> run(List<Tensor> inputs) throws OrtException {
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    List<String> inputNames = new ArrayList<>(session.getInputInfo().keySet());
    try {
      for (int i = 0; i < inputs.size(); i++) {
        Value v = graph.inputValues().get(i);
        feed.put(inputNames.get(i), toOrt(inputs.get(i), v));
      }
      List<Tensor> outs = new ArrayList<>();
      try (OrtSession.Result r = session.run(feed)) {
        int k = 0;
        for (Map.Entry<String, OnnxValue> e : r) {
          Value v = graph.outputValues().get(k++);
          outs.add(fromOrt((OnnxTensor) e.getValue(), v));
        }
      }
      return outs;
    } finally {
      feed.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor toOrt(Tensor t, Value v) throws OrtException {
    int[] dims = t.shape.dims();
    byte[] bytes = t.toBytes();
    if (dims.length == 4) {
      bytes = OnnxLayout.permuteData(bytes, t.dtype.bytes(), dims, TO_NCHW);
      dims = OnnxLayout.permute(dims, TO_NCHW);
    }
    long[] shape = java.util.Arrays.stream(dims).asLongStream().toArray();
    ByteBuffer b = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.nativeOrder());
    b.put(bytes).rewind();
    OnnxJavaType type = switch (v.dtype()) {
      case FLOAT32 -> OnnxJavaType.FLOAT;
      case INT8 -> OnnxJavaType.INT8;
      case UINT8 -> OnnxJavaType.UINT8;
      case INT32 -> OnnxJavaType.INT32;
      case INT64 -> OnnxJavaType.INT64;
      default -> throw new IllegalArgumentException("input type " + v.dtype());
    };
    return OnnxTensor.createTensor(env, b, shape, type);
  }

  private static Tensor fromOrt(OnnxTensor t, Value v) {
    ByteBuffer b = t.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    int[] dims = v.shape().dims();
    if (dims.length == 4) {
      bytes = OnnxLayout.permuteData(bytes, v.dtype().bytes(), OnnxLayout.permute(dims, TO_NCHW),
          TO_NHWC);
    }
    return Tensor.fromBytes(v.dtype(), v.shape(), bytes);
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
