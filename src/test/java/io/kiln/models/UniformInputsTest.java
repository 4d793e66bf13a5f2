package io.kiln.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import java.util.List;
import org.junit.jupiter.api.Test;

class UniformInputsTest {
  private static final Graph FLOAT = Builtins.named("ds_cnn").floatGraph();

  @Test
  void samplesStayInTheRangeAndCoverIt() {
    List<List<Tensor>> s = new UniformInputs(5, -1f, 1f, 3).draw(FLOAT);
    assertThat(s).hasSize(3).allSatisfy(sample -> assertThat(sample).hasSize(1));
    float lo = Float.MAX_VALUE;
    float hi = -Float.MAX_VALUE;
    for (List<Tensor> sample : s) {
      assertThat(sample.get(0).shape).isEqualTo(FLOAT.inputValues().get(0).shape());
      for (float v : sample.get(0).floats) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    assertThat(lo).isGreaterThanOrEqualTo(-1f).isLessThan(-0.99f);
    assertThat(hi).isLessThanOrEqualTo(1f).isGreaterThan(0.99f);
  }

  @Test
  void theSeedDecidesTheSamples() {
    UniformInputs u = new UniformInputs(5, 0f, 1f, 2);
    assertThat(u.draw(FLOAT).get(1).get(0).floats).isEqualTo(u.draw(FLOAT).get(1).get(0).floats);
    assertThat(u.with(6, 2).draw(FLOAT).get(1).get(0).floats)
        .isNotEqualTo(u.draw(FLOAT).get(1).get(0).floats);
  }

  @Test
  void emptyRangesAndCountsAreRejected() {
    assertThatThrownBy(() -> new UniformInputs(1, 1f, 1f, 4))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lo < hi");
    assertThatThrownBy(() -> new UniformInputs(1, 0f, 1f, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive count");
  }

  @Test
  void integerInputsAreRejected() {
    Graph int8 = Builtins.named("ds_cnn").build();
    assertThatThrownBy(() -> new UniformInputs(1, 0f, 1f, 1).draw(int8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("input 'input' of ds_cnn is i8, not float32");
  }
}
