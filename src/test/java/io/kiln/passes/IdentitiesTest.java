package io.kiln.passes;

import static io.kiln.passes.PassTesting.f32;
import static io.kiln.passes.PassTesting.i8;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.passes.PassTesting.Agreement;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdentitiesTest {
  private static final Pass PASS = new RulePass("remove-identities", Rules.IDENTITIES);

  private static int reshape(GraphBuilder b, int x, String name, int... dims) {
    TensorType t = b.type(x);
    return b.apply(new Op.Reshape(Shape.of(dims)), List.of(x), name, t.dtype(), t.quant());
  }

  private static int transpose(GraphBuilder b, int x, String name, Integer... perm) {
    TensorType t = b.type(x);
    return b.apply(new Op.Transpose(List.of(perm)), List.of(x), name, t.dtype(), t.quant());
  }

  @Test
  void removesSameShapeReshapesAndCollapsesReshapeChains() {
    GraphBuilder b = new GraphBuilder("reshapes");
    int x = b.input("x", i8(0.1, 2, 1, 4, 4, 2));
    int same = reshape(b, x, "same", 1, 4, 4, 2);
    int r1 = reshape(b, same, "r1", 1, 16, 2);
    int r2 = reshape(b, r1, "r2", 32);
    int r3 = reshape(b, r2, "r3", 4, 8);
    b.output(b.apply(new Op.Relu(), List.of(r3), "y", DType.INT8, Quantization.perTensor(0.1, 2)));
    Graph after = PassTesting.positive("identities.reshapes", PASS, b.build(), Agreement.EXACT);
    assertThat(after.nodes()).extracting(n -> n.op().opName()).containsExactly("Reshape", "Relu");
  }

  @Test
  void cancelsInverseTransposesAndComposesOthers() {
    GraphBuilder b = new GraphBuilder("transposes");
    int x = b.input("x", f32(1, 2, 3, 4));
    int nchw = transpose(b, x, "nchw", 0, 3, 1, 2);
    int back = transpose(b, nchw, "nhwc", 0, 2, 3, 1);
    int a = b.apply(new Op.Relu(), List.of(back), "a", DType.FLOAT32, Quantization.NONE);
    int t1 = transpose(b, a, "t1", 0, 2, 1, 3);
    int t2 = transpose(b, t1, "t2", 3, 1, 2, 0);
    b.output(t2);
    Graph after = PassTesting.positive("identities.transposes", PASS, b.build(), Agreement.EXACT);
    assertThat(after.nodes()).extracting(n -> n.op()).containsExactly(new Op.Relu(),
        new Op.Transpose(List.of(3, 2, 1, 0)));
  }

  @Test
  void turnsATransposeOfUnitDimensionsIntoAReshape() {
    GraphBuilder b = new GraphBuilder("unit_transpose");
    int x = b.input("x", f32(1, 1, 8, 3));
    int t = transpose(b, x, "t", 1, 2, 0, 3);
    b.output(b.apply(new Op.Tanh(), List.of(t), "y", DType.FLOAT32, Quantization.NONE));
    PassTesting.positive("identities.transpose-as-reshape", PASS, b.build(), Agreement.EXACT);
  }

  @Test
  void removesIdentityOperators() {
    GraphBuilder b = new GraphBuilder("identity_op");
    int x = b.input("x", f32(1, 4));
    int i = b.apply(new Op.Identity(), List.of(x), "same", DType.FLOAT32, Quantization.NONE);
    b.output(b.apply(new Op.Tanh(), List.of(i), "y", DType.FLOAT32, Quantization.NONE));
    PassTesting.positive("identities.identity-op", PASS, b.build(), Agreement.EXACT);
  }

  @Test
  void keepsRealTransposesAndRequantizingReshapes() {
    GraphBuilder b = new GraphBuilder("keep");
    int x = b.input("x", i8(0.1, 2, 1, 2, 3, 4));
    int t = transpose(b, x, "t", 0, 3, 1, 2);
    int same = b.apply(new Op.Reshape(Shape.of(1, 4, 2, 3)), List.of(t), "requantized",
        DType.INT8, Quantization.perTensor(0.2, 2));
    b.output(b.apply(new Op.Quantize(), List.of(same), "y", DType.INT8,
        Quantization.perTensor(0.05, 0)));
    PassLog log = PassTesting.negative("identities.negative", PASS, b.build());
    assertThat(log.rejected()).extracting(PassLog.Entry::rule)
        .contains("reshape-identity", "transpose-as-reshape", "quantize-identity");
  }
}
