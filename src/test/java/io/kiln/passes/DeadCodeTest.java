package io.kiln.passes;

import static io.kiln.passes.PassTesting.f32;
import static io.kiln.passes.PassTesting.floats;
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

class DeadCodeTest {
  private static final Pass DCE = Pass.of("dead-code", DeadCode::prune);

  @Test
  void dropsUnreadNodesAndConstantsAndRenumbers() {
    GraphBuilder b = new GraphBuilder("dead");
    int x = b.input("x", f32(1, 4));
    int unused = b.input("unused_input", f32(1, 4));
    int c = b.constant("c", f32(1, 4), floats(1, 4));
    int orphan = b.constant("orphan", f32(1, 4), floats(2, 4));
    int dead = b.apply(new Op.Relu(), List.of(x), "dead", DType.FLOAT32, Quantization.NONE);
    b.apply(new Op.Add(Activation.NONE), List.of(dead, orphan), "dead2", DType.FLOAT32,
        Quantization.NONE);
    b.output(b.apply(new Op.Add(Activation.NONE), List.of(x, c), "y", DType.FLOAT32,
        Quantization.NONE));
    Graph after = PassTesting.positive("dead-code.positive", DCE, b.build(), Agreement.EXACT);
    assertThat(after.nodes()).hasSize(1);
    assertThat(after.inputs()).as("unused graph inputs stay: they are the interface")
        .hasSize(2);
    assertThat(unused).isEqualTo(1);
  }

  @Test
  void keepsAGraphWithoutDeadCodeAsIs() {
    GraphBuilder b = new GraphBuilder("live");
    int x = b.input("x", f32(1, 4));
    int r = b.apply(new Op.Relu(), List.of(x), "r", DType.FLOAT32, Quantization.NONE);
    b.output(r);
    b.output(b.apply(new Op.Tanh(), List.of(r), "t", DType.FLOAT32, Quantization.NONE));
    PassTesting.negative("dead-code.negative", DCE, b.build());
  }
}
