package io.kiln.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** int8 softmax preparation: the Q5.26 beta multiplier and the smallest kept difference. */
class SoftmaxParamsTest {

  private static TensorType in(double scale) {
    return new TensorType(DType.INT8, Shape.of(1, 10), Quantization.perTensor(scale, -3));
  }

  @Test
  void handComputedParameters() {
    // beta * scale * 2^26 = 2^22 = 2^30 * 2^(23 - 31); radius = 31 * 2^26 / 2^23 = 248.
    SoftmaxParams p = SoftmaxParams.int8(1f, in(1.0 / 16), "t");
    assertThat(p.inputBeta()).isEqualTo(new QuantizedMultiplier(1 << 30, 23));
    assertThat(p.diffMin()).isEqualTo(-248);
    // scale 1/256 with beta 2: 2^19, shift 20, radius 31 * 2^26 / 2^20 = 1984.
    SoftmaxParams q = SoftmaxParams.int8(2f, in(1.0 / 256), "t");
    assertThat(q.inputBeta()).isEqualTo(new QuantizedMultiplier(1 << 30, 20));
    assertThat(q.diffMin()).isEqualTo(-1984);
  }

  @Test
  void hugeMultipliersAreCappedAt2To31Minus1() {
    SoftmaxParams p = SoftmaxParams.int8(1e6f, in(1e6), "t");
    assertThat(p.inputBeta()).isEqualTo(FixedPoint.quantizeMultiplier((1L << 31) - 1.0));
    // Radius 31 * 2^26 / 2^31 = 0.97 floors to 0: only the maximum itself contributes.
    assertThat(p.diffMin()).isZero();
  }

  @Test
  void tinyInputScalesAreAOneLineError() {
    assertThatThrownBy(() -> SoftmaxParams.int8(1f, in(1e-12), "Softmax 'p'"))
        .isInstanceOf(KilnException.class).hasMessageStartingWith("Softmax 'p': softmax input");
    assertThatThrownBy(() -> SoftmaxParams.int8(1f,
        new TensorType(DType.INT8, Shape.of(2), Quantization.NONE), "Softmax 'p'"))
        .isInstanceOf(KilnException.class).hasMessageContaining("input needs per-tensor");
  }

  @Test
  void randomParametersMatchARestatement() {
    Random r = new Random(5L);
    for (int i = 0; i < 20_000; i++) {
      float beta = (float) Math.exp(r.nextGaussian());
      float scale = (float) Math.exp(r.nextGaussian() * 2 - 3);
      double real = Math.min((double) beta * (double) scale * (1 << 26), (1L << 31) - 1.0);
      QuantizedMultiplier m = FixedPoint.quantizeMultiplier(real);
      int radius = (int) Math.floor(31.0 * (1L << 26) / Math.pow(2, m.shift()));
      SoftmaxParams p = SoftmaxParams.int8(beta, in(scale), "t");
      assertThat(p.inputBeta()).isEqualTo(m);
      assertThat(p.diffMin()).as("beta %s scale %s", beta, scale).isEqualTo(-radius);
    }
  }
}
