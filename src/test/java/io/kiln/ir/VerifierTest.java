package io.kiln.ir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.testing.Golden;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerifierTest {
  /** A tiny int8 conv + relu6-fused graph used by the positive tests. */
  static Graph tinyConv() {
    GraphBuilder b = new GraphBuilder("tiny_conv");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 4, 4, 2), 0.5, -3));
    int w = b.constant("w", new TensorType(DType.INT8, Shape.of(3, 3, 3, 2),
            new Quantization.PerAxis(0, new float[] {0.01f, 0.02f, 0.03f}, new long[3])),
        ConstData.ofInts(DType.INT8, new int[54]));
    int bias = b.constant("b", TensorType.of(DType.INT32, 3),
        ConstData.ofInts(DType.INT32, new int[] {1, -2, 3}));
    int y = b.apply(new Op.Conv2D(1, 1, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU6),
        List.of(x, w, bias), "y", DType.INT8, Quantization.perTensor(0.25, 5));
    b.output(y);
    return b.build();
  }

  @Test
  void acceptsWellFormedGraph() {
    assertThat(Verifier.check(tinyConv())).isEmpty();
  }

  @Test
  void canonicalTextIsStable() {
    Golden.assertMatches("ir/tiny_conv.txt", GraphPrinter.print(tinyConv()));
    assertThat(GraphPrinter.print(tinyConv())).isEqualTo(GraphPrinter.print(tinyConv()));
  }

  @Test
  void rejectsWrongDeclaredShape() {
    Graph g = tinyConv();
    List<Value> values = new java.util.ArrayList<>(g.values());
    Value y = values.get(3);
    values.set(3, new Value(3, "y", y.type().withShape(Shape.of(1, 2, 2, 3)), null));
    Graph bad = new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs());
    assertThat(Verifier.check(bad)).singleElement().asString()
        .contains("declared [1,2,2,3] but infers [1,4,4,3]");
  }

  @Test
  void rejectsUseBeforeDefinitionAndRedefinition() {
    GraphBuilder b = new GraphBuilder("bad_order");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 4));
    int y = b.value("y", TensorType.of(DType.FLOAT32, 4));
    int z = b.value("z", TensorType.of(DType.FLOAT32, 4));
    b.node(new Op.Relu(), List.of(y), List.of(z));
    b.node(new Op.Relu(), List.of(x), List.of(y));
    b.node(new Op.Relu(), List.of(x), List.of(y));
    b.output(z);
    List<String> problems = Verifier.check(b.build());
    assertThat(problems).anyMatch(p -> p.contains("before it is defined"));
    assertThat(problems).anyMatch(p -> p.contains("redefines %1"));
    assertThatThrownBy(() -> Verifier.verify(b.build())).isInstanceOf(KilnException.class)
        .hasMessageStartingWith("invalid graph 'bad_order'");
  }

  @Test
  void rejectsInconsistentQuantization() {
    GraphBuilder b = new GraphBuilder("bad_quant");
    int x = b.input("x", TensorType.quantized(DType.INT16, Shape.of(1, 4), 0.5, 3));
    int w = b.constant("w", new TensorType(DType.INT8, Shape.of(2, 4),
            new Quantization.PerAxis(0, new float[] {0.1f, 0.1f, 0.1f}, new long[3])),
        ConstData.ofInts(DType.INT8, new int[8]));
    int bias = b.constant("b", TensorType.of(DType.INT32, 2), ConstData.ofInts(DType.INT32,
        new int[2]));
    int y = b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(x, w, bias), "y",
        DType.INT8, Quantization.NONE);
    b.output(y);
    List<String> problems = Verifier.check(b.build());
    assertThat(problems).anyMatch(p -> p.contains("int16 activation has zero point 3"));
    assertThat(problems).anyMatch(p -> p.contains("3 scales for 2 channels"));
    assertThat(problems).anyMatch(p -> p.contains("output is i8 but input is i16"));
    assertThat(problems).anyMatch(p -> p.contains("needs per-tensor quantization"));
  }

  @Test
  void rejectsConstantOfWrongSize() {
    assertThatThrownBy(() -> new Value(0, "c", TensorType.of(DType.INT32, 3),
        ConstData.ofInts(DType.INT8, new int[3]))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 12");
  }

  @Test
  void rewriteThatChangesNothingReturnsSameInstance() {
    Graph g = tinyConv();
    Node n = g.nodes().get(0);
    assertThat(n.withOp(new Op.Conv2D(1, 1, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU6)))
        .isSameAs(n);
    assertThat(g.withNodes(List.copyOf(g.nodes()))).isSameAs(g);
  }

  @Test
  void reportsMissingInputsInsteadOfThrowing() {
    GraphBuilder b = new GraphBuilder("too_few_inputs");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 4), 0.5, 0));
    int y = b.value("y", TensorType.quantized(DType.INT8, Shape.of(1, 2), 0.5, 0));
    b.node(new Op.FullyConnected(Activation.NONE, false), List.of(x), List.of(y));
    b.output(y);
    assertThat(Verifier.check(b.build())).singleElement().asString()
        .contains("FullyConnected: missing input 1");
  }
}
