package io.kiln.passes;

import static io.kiln.passes.PassTesting.f32;
import static io.kiln.passes.PassTesting.floats;
import static io.kiln.passes.PassTesting.i8;
import static io.kiln.passes.PassTesting.int8s;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.passes.PassTesting.Agreement;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConstantFoldingTest {
  private static final Pass FOLD = new RulePass("fold-constants", Rules.FOLD_CONSTANTS);
  private static final Pass FOLD_DQ = new RulePass("fold-dequantized-constants",
      Rules.FOLD_DEQUANTIZE);

  @Test
  void foldsAConstantSubexpressionIntoOneConstant() {
    GraphBuilder b = new GraphBuilder("fold");
    int x = b.input("x", f32(1, 4));
    int a = b.constant("a", f32(1, 4), floats(1, 4));
    int c = b.constant("c", f32(1, 4), floats(2, 4));
    int sum = b.apply(new Op.Add(Activation.RELU), List.of(a, c), "a+c", DType.FLOAT32,
        Quantization.NONE);
    int neg = b.apply(new Op.Mul(Activation.NONE), List.of(sum, c), "(a+c)*c", DType.FLOAT32,
        Quantization.NONE);
    b.output(b.apply(new Op.Mul(Activation.NONE), List.of(x, neg), "y", DType.FLOAT32,
        Quantization.NONE));
    Graph after = PassTesting.positive("fold-constants.positive", FOLD, b.build(),
        Agreement.EXACT);
    assertThat(after.nodes()).hasSize(1);
  }

  @Test
  void foldedQuantizedValueIsWhatTheKernelComputes() {
    GraphBuilder b = new GraphBuilder("fold_q");
    int x = b.input("x", i8(0.05, 3, 1, 8));
    int a = b.constant("a", i8(0.02, -5, 1, 8), int8s(3, 8));
    int c = b.constant("c", i8(0.03, 7, 1, 8), int8s(4, 8));
    int sum = b.apply(new Op.Add(Activation.NONE), List.of(a, c), "a+c", DType.INT8,
        Quantization.perTensor(0.04, -2));
    b.output(b.apply(new Op.Add(Activation.NONE), List.of(x, sum), "y", DType.INT8,
        Quantization.perTensor(0.08, 1)));
    Graph g = b.build();
    Graph after = PassTesting.positive("fold-constants.quantized", FOLD, g, Agreement.EXACT);
    // The folded constant holds exactly the int8 values the Add kernel wrote at run time.
    int folded = after.nodes().get(0).input(Op.Add.RHS);
    byte[] expected = new Interpreter(g).trace(PassTesting.randomInputs(g, 0))[sum].toBytes();
    assertThat(after.value(folded).data()).isEqualTo(ConstData.ofBytes(expected));
  }

  @Test
  void leavesNodesReadingRuntimeValuesAndDequantizedWeights() {
    GraphBuilder b = new GraphBuilder("nofold");
    int x = b.input("x", f32(1, 4));
    int wq = b.constant("w_q", i8(0.1, 0, 1, 4), int8s(5, 4));
    int w = b.apply(new Op.Dequantize(), List.of(wq), "w", DType.FLOAT32, Quantization.NONE);
    b.output(b.apply(new Op.Add(Activation.NONE), List.of(x, w), "y", DType.FLOAT32,
        Quantization.NONE));
    PassTesting.negative("fold-constants.negative", FOLD, b.build());
  }

  @Test
  void refusesToMaterializeLargeConstants() {
    GraphBuilder b = new GraphBuilder("grow");
    int x = b.input("x", f32(1, 128, 128, 2));
    int c = b.constant("c", f32(1, 1, 1, 2), floats(1, 2));
    int padded = b.apply(new Op.Pad(List.of(0, 64, 64, 0), List.of(0, 63, 63, 0)), List.of(c),
        "padded", DType.FLOAT32, Quantization.NONE);
    b.output(b.apply(new Op.Add(Activation.NONE), List.of(x, padded), "y", DType.FLOAT32,
        Quantization.NONE));
    PassLog log = PassTesting.negative("fold-constants.too-large", FOLD, b.build());
    assertThat(log.rejected()).singleElement()
        .satisfies(e -> assertThat(e.reason()).contains("would materialize 131072 bytes"));
  }

  @Test
  void foldsDequantizeOfConstantsInTheLateStage() {
    GraphBuilder b = new GraphBuilder("fold_dq");
    int x = b.input("x", f32(1, 4));
    int wq = b.constant("w_q", i8(0.1, 0, 1, 4), int8s(5, 4));
    int w = b.apply(new Op.Dequantize(), List.of(wq), "w", DType.FLOAT32, Quantization.NONE);
    b.output(b.apply(new Op.Add(Activation.NONE), List.of(x, w), "y", DType.FLOAT32,
        Quantization.NONE));
    PassTesting.positive("fold-dequantize.positive", FOLD_DQ, b.build(), Agreement.EXACT);
  }

  @Test
  void leavesDequantizeOfRuntimeValues() {
    GraphBuilder b = new GraphBuilder("keep_dq");
    int x = b.input("x", i8(0.1, 0, 1, 4));
    b.output(b.apply(new Op.Dequantize(), List.of(x), "y", DType.FLOAT32, Quantization.NONE));
    PassTesting.negative("fold-dequantize.negative", FOLD_DQ, b.build());
  }
}
