package io.kiln.passes;

import static io.kiln.passes.PassTesting.floats;
import static io.kiln.passes.PassTesting.i8;
import static io.kiln.passes.PassTesting.int8s;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.passes.PassTesting.Agreement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Q/DQ elimination on hand-built QDQ graphs. The integer operator requantizes in fixed point where
 * the QDQ graph rounds a float result once, so outputs agree within one quantization step.
 */
class QdqEliminationTest {
  private static final Pass PASS = new RulePass("eliminate-qdq", Rules.QDQ);

  private static int dequantize(GraphBuilder b, int q, String name) {
    return b.apply(new Op.Dequantize(), List.of(q), name, DType.FLOAT32, Quantization.NONE);
  }

  private static Graph qdqConv(Quantization weightQuant, Activation act) {
    GraphBuilder b = new GraphBuilder("qdq_conv");
    int x = b.input("x", i8(0.05, -3, 1, 6, 6, 3));
    int w = b.constant("w_q", new TensorType(DType.INT8, Shape.of(4, 3, 3, 3), weightQuant),
        int8s(1, 4 * 27));
    int bias = b.constant("b", TensorType.of(DType.FLOAT32, 4), floats(7, 4));
    int conv = b.apply(new Op.Conv2D(1, 1, 1, 1, new Pads(1, 1, 1, 1), act),
        List.of(dequantize(b, x, "x_f"), dequantize(b, w, "w_f"), bias), "conv_f",
        DType.FLOAT32, Quantization.NONE);
    b.output(b.apply(new Op.Quantize(), List.of(conv), "y", DType.INT8,
        Quantization.perTensor(0.1, -10)));
    return b.build();
  }

  @Test
  void turnsAQdqConvIntoAnIntegerConvWithAQuantizedBias() {
    Graph after = PassTesting.positive("qdq.conv", PASS,
        qdqConv(Quantization.perTensor(0.02, 0), Activation.RELU),
        Agreement.ONE_STEP);
    assertThat(after.nodes()).singleElement().satisfies(n -> {
      assertThat(after.value(n.input(Op.Conv2D.BIAS)).dtype()).isEqualTo(DType.INT32);
      assertThat(after.value(n.input(Op.Conv2D.INPUT)).dtype()).isEqualTo(DType.INT8);
    });
  }

  @Test
  void refusesAsymmetricWeights() {
    Quantization asym = new Quantization.PerAxis(0, new float[] {0.01f, 0.02f, 0.01f, 0.02f},
        new long[] {0, 3, 0, 0});
    PassLog log = PassTesting.negative("qdq.conv-negative", PASS, qdqConv(asym, Activation.NONE));
    assertThat(log.rejected()).extracting(PassLog.Entry::reason)
        .anyMatch(r -> r.contains("symmetric weights"));
  }

  @Test
  void turnsQdqAddAndAveragePoolIntoIntegerOperators() {
    GraphBuilder b = new GraphBuilder("qdq_add_pool");
    int x = b.input("x", i8(0.05, -3, 1, 4, 4, 2));
    int y = b.input("y", i8(0.08, 10, 1, 4, 4, 2));
    int sum = b.apply(new Op.Add(Activation.NONE),
        List.of(dequantize(b, x, "x_f"), dequantize(b, y, "y_f")), "sum_f", DType.FLOAT32,
        Quantization.NONE);
    int sumQ = b.apply(new Op.Quantize(), List.of(sum), "sum", DType.INT8,
        Quantization.perTensor(0.1, 2));
    int pool = b.apply(new Op.AveragePool2D(2, 2, 2, 2, Pads.NONE, Activation.NONE),
        List.of(dequantize(b, sumQ, "sum_f2")), "pool_f", DType.FLOAT32, Quantization.NONE);
    b.output(b.apply(new Op.Quantize(), List.of(pool), "pool", DType.INT8,
        Quantization.perTensor(0.1, 2)));
    Graph after = PassTesting.positive("qdq.add-pool", PASS, b.build(), Agreement.ONE_STEP);
    assertThat(after.nodes()).extracting(n -> n.op().opName())
        .containsExactly("Add", "AveragePool2D");
  }

  @Test
  void keepsAPoolWhoseQuantizeChangesTheScaleAndFloatOutputs() {
    GraphBuilder b = new GraphBuilder("qdq_keep");
    int x = b.input("x", i8(0.05, -3, 1, 4, 4, 2));
    int xf = dequantize(b, x, "x_f");
    int pool = b.apply(new Op.MaxPool2D(2, 2, 2, 2, Pads.NONE, Activation.NONE), List.of(xf),
        "pool_f", DType.FLOAT32, Quantization.NONE);
    b.output(b.apply(new Op.Quantize(), List.of(pool), "pool", DType.INT8,
        Quantization.perTensor(0.1, 2)));
    b.output(b.apply(new Op.Relu(), List.of(xf), "relu_f", DType.FLOAT32, Quantization.NONE));
    PassLog log = PassTesting.negative("qdq.negative", PASS, b.build());
    assertThat(log.rejected()).extracting(PassLog.Entry::reason)
        .anyMatch(r -> r.contains("keeps its input's quantization"));
  }

  @Test
  void removesAQuantizeDequantizePairWithTheSameQuantization() {
    GraphBuilder b = new GraphBuilder("qdq_pair");
    int x = b.input("x", i8(0.05, -3, 1, 8));
    int f = dequantize(b, x, "x_f");
    int q = b.apply(new Op.Quantize(), List.of(f), "x_q", DType.INT8,
        Quantization.perTensor(0.05, -3));
    b.output(b.apply(new Op.Relu(), List.of(q), "y", DType.INT8,
        Quantization.perTensor(0.05, -3)));
    PassTesting.positive("qdq.pair", PASS, b.build(), Agreement.EXACT);
  }
}
