package io.kiln.frontend.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The ONNX writer's layout handling (NCHW boundaries, NHWC-sensitive operators wrapped in
 * transposes, broadcast constants permuted) checked by running small float graphs in ONNX Runtime,
 * plus its refusals.
 */
class OnnxWriterTest {

  @Test
  void permuteDataTransposesRowMajorElements() {
    // [2,3] -> [3,2]
    byte[] data = {1, 2, 3, 4, 5, 6};
    assertThat(OnnxLayout.permuteData(data, 1, new int[] {2, 3}, new int[] {1, 0}))
        .containsExactly(1, 4, 2, 5, 3, 6);
    assertThat(OnnxLayout.inverse(new int[] {0, 3, 1, 2})).containsExactly(0, 2, 3, 1);
  }

  @Test
  void layoutSensitiveOperatorsOnNchwTensorsMatchTheInterpreter() throws Exception {
    GraphBuilder b = new GraphBuilder("mix");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 4, 5, 3));
    int c = b.constant("c", TensorType.of(DType.FLOAT32, 3),
        ConstData.ofFloats(new float[] {0.5f, -1f, 2f}));
    int added = b.apply(new Op.Add(Op.Activation.RELU), List.of(x, c), "added", DType.FLOAT32,
        Quantization.NONE);
    int padded = b.apply(new Op.Pad(List.of(0, 1, 0, 0), List.of(0, 0, 2, 0)), List.of(added),
        "padded", DType.FLOAT32, Quantization.NONE);
    int cat = b.apply(new Op.Concatenation(3, Op.Activation.NONE), List.of(padded, padded),
        "cat", DType.FLOAT32, Quantization.NONE);
    int pooled = b.apply(new Op.MaxPool2D(2, 2, 1, 2, new Op.Pads(0, 0, 1, 1),
        Op.Activation.NONE), List.of(cat), "pooled", DType.FLOAT32, Quantization.NONE);
    int sliced = b.apply(new Op.StridedSlice(List.of(0, 1, 0, 1), List.of(1, 5, 4, 6),
        List.of(1, 2, 1, 2), 0, 0, 0, 0, 0, false), List.of(pooled), "sliced", DType.FLOAT32,
        Quantization.NONE);
    int mean = b.apply(new Op.Mean(List.of(1, 2), true), List.of(sliced), "mean",
        DType.FLOAT32, Quantization.NONE);
    int soft = b.apply(new Op.Softmax(0.5f), List.of(sliced), "soft", DType.FLOAT32,
        Quantization.NONE);
    int flat = b.apply(new Op.Reshape(Shape.of(1, sizeOf(b, soft))),
        List.of(soft), "flat", DType.FLOAT32, Quantization.NONE);
    b.output(mean);
    b.output(flat);
    Graph g = b.build();

    Random r = new Random(11);
    float[] xs = new float[60];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = (float) (r.nextGaussian() * 2);
    }
    List<Tensor> in = List.of(Tensor.ofFloats(Shape.of(1, 4, 5, 3), xs));
    List<Tensor> want = new Interpreter(g).run(in);
    List<Tensor> got;
    try (OrtRunner ort = new OrtRunner(g)) {
      got = ort.run(in);
    }
    for (int o = 0; o < want.size(); o++) {
      assertThat(got.get(o).shape).isEqualTo(want.get(o).shape);
      for (int i = 0; i < want.get(o).elements(); i++) {
        assertThat(got.get(o).floats[i]).as("output %d element %d", o, i)
            .isCloseTo(want.get(o).floats[i], org.assertj.core.data.Offset.offset(1e-5f));
      }
    }
    ModelProto m = OnnxWriter.toModel(g);
    assertThat(m.getGraph().getInput(0).getType().getTensorType().getShape().getDimList())
        .extracting(d -> d.getDimValue()).containsExactly(1L, 3L, 4L, 5L);
    assertThat(m.getGraph().getNodeList()).extracting(NodeProto::getOpType)
        .contains("MaxPool", "Softmax", "Slice", "Pad", "Concat");
  }

  private static int sizeOf(GraphBuilder b, int id) {
    return b.type(id).elements();
  }

  @Test
  void rawInt32AccumulatorsAreRefused() {
    GraphBuilder b = new GraphBuilder("acc");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 4), 0.5, 0));
    int w = b.constant("w", TensorType.quantized(DType.INT8, Shape.of(2, 4), 0.25, 0),
        ConstData.ofInts(DType.INT8, new int[8]));
    b.output(b.apply(new Op.FullyConnected(Op.Activation.NONE, false), List.of(x, w), "acc",
        DType.INT32, Quantization.perTensor(0.125, 0)));
    assertThatThrownBy(() -> OnnxWriter.write(b.build()))
        .isInstanceOf(KilnException.class)
        .hasMessage("cannot export to onnx: node 0 (FullyConnected) produces raw int32"
            + " accumulators, which QDQ ONNX cannot express");
  }

  @Test
  void signBitActivationIsRefused() {
    GraphBuilder b = new GraphBuilder("sign");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 4));
    int y = b.input("y", TensorType.of(DType.FLOAT32, 1, 4));
    b.output(b.apply(new Op.Add(Op.Activation.SIGN_BIT), List.of(x, y), "z", DType.FLOAT32,
        Quantization.NONE));
    assertThatThrownBy(() -> OnnxWriter.write(b.build()))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("SIGN_BIT").hasMessageNotContaining("\n");
  }
}
