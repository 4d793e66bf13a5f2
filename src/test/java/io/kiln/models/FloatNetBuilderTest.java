package io.kiln.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.Value;
import org.junit.jupiter.api.Test;

class FloatNetBuilderTest {

  private static Graph net(long seed) {
    FloatNetBuilder b = new FloatNetBuilder("net", seed);
    int x = b.input("x", Shape.of(1, 9, 7, 3));
    x = b.conv("conv", x, 8, 3, 3, 2, true, true);
    x = b.depthwise("dw", x, 3, 3, 1, false);
    x = b.globalAveragePool("pool", x);
    x = b.reshape("flat", x, Shape.of(1, 8));
    return b.build(b.softmax("probs", b.fullyConnected("fc", x, 4, false)));
  }

  private static float maxAbs(Graph g, String name) {
    Value v = g.values().stream().filter(w -> w.name().equals(name)).findFirst().orElseThrow();
    float m = 0;
    for (float f : v.data().asFloats()) {
      m = Math.max(m, Math.abs(f));
    }
    return m;
  }

  @Test
  void weightsAreHeUniformAndBiasesSmall() {
    Graph g = net(1);
    // fan-in 3*3*3 = 27, 3*3 = 9, 8: the bound is sqrt(6 / fan-in).
    assertThat(maxAbs(g, "conv/filter")).isLessThanOrEqualTo((float) Math.sqrt(6.0 / 27))
        .isGreaterThan((float) Math.sqrt(6.0 / 27) / 2);
    assertThat(maxAbs(g, "dw/filter")).isLessThanOrEqualTo((float) Math.sqrt(6.0 / 9));
    assertThat(maxAbs(g, "fc/weights")).isLessThanOrEqualTo((float) Math.sqrt(6.0 / 8));
    assertThat(maxAbs(g, "conv/bias")).isLessThanOrEqualTo(0.05f).isGreaterThan(0f);
  }

  @Test
  void samePaddingAndShapesFollowTflite() {
    Graph g = net(1);
    Op.Conv2D conv = (Op.Conv2D) g.nodes().get(0).op();
    // in 9x7, filter 3, stride 2: out 5x4, padding totals 2 and 2 (TFLite's padding.h).
    assertThat(conv.pads()).isEqualTo(new Op.Pads(1, 1, 1, 1));
    assertThat(g.output(g.nodes().get(0)).shape().dims()).containsExactly(1, 5, 4, 8);
    assertThat(g.outputValues().get(0).shape().dims()).containsExactly(1, 4);
  }

  @Test
  void theSeedDecidesEveryWeight() {
    assertThat(net(1)).isEqualTo(net(1));
    assertThat(net(2)).isNotEqualTo(net(1));
    assertThat(net(2).nodes()).isEqualTo(net(1).nodes());
  }
}
