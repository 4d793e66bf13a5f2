package io.kiln.passes;

import static io.kiln.passes.PassTesting.f32;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.passes.PassTesting.Agreement;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayoutRulesTest {
  private static final Pass PASS = new RulePass("normalize-layout", Rules.LAYOUT);

  private static int t(GraphBuilder b, int x, String name, Integer... perm) {
    return b.apply(new Op.Transpose(List.of(perm)), List.of(x), name, b.type(x).dtype(),
        b.type(x).quant());
  }

  /** An NCHW island (as ONNX import leaves it) between NHWC layers disappears. */
  @Test
  void sinksTransposesThroughElementwiseOpsUntilTheyCancel() {
    GraphBuilder b = new GraphBuilder("nchw_island");
    int x = b.input("x", f32(1, 4, 4, 2));
    int y = b.input("y", f32(1, 4, 4, 2));
    int xc = t(b, x, "x_nchw", 0, 3, 1, 2);
    int yc = t(b, y, "y_nchw", 0, 3, 1, 2);
    int sum = b.apply(new Op.Add(Activation.NONE), List.of(xc, yc), "sum", DType.FLOAT32,
        Quantization.NONE);
    int act = b.apply(new Op.Tanh(), List.of(sum), "act", DType.FLOAT32, Quantization.NONE);
    b.output(t(b, act, "back", 0, 2, 3, 1));
    Graph after = PassTesting.positive("layout.sink", PASS, b.build(), Agreement.EXACT);
    assertThat(after.nodes()).extracting(n -> n.op().opName()).containsExactly("Add", "Tanh");
  }

  @Test
  void keepsTransposesFeedingBroadcastsOrDifferentPermutations() {
    GraphBuilder b = new GraphBuilder("keep_layout");
    int x = b.input("x", f32(1, 4, 4, 2));
    int y = b.input("y", f32(1, 4, 2, 4));
    int xc = t(b, x, "x_t", 0, 3, 1, 2);
    int yc = t(b, y, "y_t", 0, 2, 3, 1);
    b.output(b.apply(new Op.Mul(Activation.NONE), List.of(xc, yc), "prod", DType.FLOAT32,
        Quantization.NONE));
    PassTesting.negative("layout.negative", PASS, b.build());
  }
}
