package io.kiln.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** TFLM's Add/Sub parameters: hand-computed cases, Sub's float-first ratios, and errors. */
class AddRequantTest {

  private static TensorType t(DType d, double scale, long zp) {
    return new TensorType(d, Shape.of(4), Quantization.perTensor(scale, zp));
  }

  @Test
  void int8HandComputedParameters() {
    // Twice the larger input scale is 1.0: ratios 0.5 and 0.25, output 1 / (2^20 * 1.0).
    AddRequant p = AddRequant.add(t(DType.INT8, 0.5, 3), t(DType.INT8, 0.25, -7),
        t(DType.INT8, 1.0, 5), Activation.RELU, "t");
    assertThat(p.leftShift()).isEqualTo(20);
    assertThat(p.input1Offset()).isEqualTo(-3);
    assertThat(p.input1()).isEqualTo(new QuantizedMultiplier(1 << 30, 0));
    assertThat(p.input2Offset()).isEqualTo(7);
    assertThat(p.input2()).isEqualTo(new QuantizedMultiplier(1 << 30, -1));
    assertThat(p.outputOffset()).isEqualTo(5);
    assertThat(p.output()).isEqualTo(new QuantizedMultiplier(1 << 30, -19));
    assertThat(p.range()).isEqualTo(new ActivationRange(5, 127));
    // Exact powers of two: Sub's float arithmetic gives the same numbers.
    assertThat(AddRequant.sub(t(DType.INT8, 0.5, 3), t(DType.INT8, 0.25, -7),
        t(DType.INT8, 1.0, 5), Activation.RELU, "t")).isEqualTo(p);
  }

  @Test
  void int16UsesFifteenBitsOfHeadroom() {
    AddRequant p = AddRequant.add(t(DType.INT16, 0.5, 0), t(DType.INT16, 0.5, 0),
        t(DType.INT16, 0.5, 0), Activation.NONE, "t");
    assertThat(p.leftShift()).isEqualTo(15);
    // Both ratios are exactly one half; the output ratio is 1.0 / (2^15 * 0.5) = 2^-14.
    assertThat(p.input1()).isEqualTo(new QuantizedMultiplier(1 << 30, 0));
    assertThat(p.input2()).isEqualTo(new QuantizedMultiplier(1 << 30, 0));
    assertThat(p.output()).isEqualTo(new QuantizedMultiplier(1 << 30, -13));
    assertThat(p.range()).isEqualTo(new ActivationRange(-32768, 32767));
  }

  /** Add computes its ratios in double, Sub in float then widens; both restated here. */
  @Test
  void randomParametersMatchTheTwoRecipes() {
    Random r = new Random(99L);
    int subDiffers = 0;
    for (int i = 0; i < 20_000; i++) {
      DType d = r.nextBoolean() ? DType.INT8 : DType.INT16;
      float s1 = (float) Math.exp(r.nextGaussian() * 2 - 3);
      float s2 = (float) Math.exp(r.nextGaussian() * 2 - 3);
      float so = Math.max(s1, s2) * (float) (0.5 + r.nextDouble() * 4);
      int shift = d == DType.INT16 ? 15 : 20;
      TensorType a = t(d, s1, 0);
      TensorType b = t(d, s2, 0);
      TensorType o = t(d, so, 0);
      AddRequant add = AddRequant.add(a, b, o, Activation.NONE, "t");
      AddRequant sub = AddRequant.sub(a, b, o, Activation.NONE, "t");
      double twice = 2 * (double) Math.max(s1, s2);
      assertThat(add.input1()).isEqualTo(FixedPoint.quantizeMultiplier(s1 / twice));
      assertThat(add.input2()).isEqualTo(FixedPoint.quantizeMultiplier(s2 / twice));
      assertThat(add.output()).isEqualTo(FixedPoint.quantizeMultiplier(
          twice / ((1 << shift) * (double) so)));
      float twiceF = 2 * Math.max(s1, s2);
      assertThat(sub.input1()).isEqualTo(FixedPoint.quantizeMultiplier(s1 / twiceF));
      assertThat(sub.input2()).isEqualTo(FixedPoint.quantizeMultiplier(s2 / twiceF));
      assertThat(sub.output()).isEqualTo(FixedPoint.quantizeMultiplier(
          twiceF / ((1 << shift) * so)));
      if (!add.equals(sub)) {
        subDiffers++;
      }
    }
    assertThat(subDiffers).as("cases where Sub's float ratios change a multiplier")
        .isGreaterThan(100);
  }

  @Test
  void rescaleFactorsOutsideTheUnitIntervalAreRejected() {
    // Output scale far below the inputs': twice_max / (2^20 * 1e-9) is far above one.
    assertThatThrownBy(() -> AddRequant.add(t(DType.INT8, 0.5, 0), t(DType.INT8, 0.5, 0),
        t(DType.INT8, 1e-9, 0), Activation.NONE, "Add 'y'")).isInstanceOf(KilnException.class)
        .hasMessageStartingWith("Add 'y': rescale factor ").hasMessageEndingWith("outside (0, 1)");
    assertThatThrownBy(() -> AddRequant.sub(t(DType.INT8, 0.5, 0),
        new TensorType(DType.INT8, Shape.of(4), Quantization.NONE), t(DType.INT8, 1, 0),
        Activation.NONE, "Sub 'y'")).isInstanceOf(KilnException.class)
        .hasMessageContaining("Sub 'y': rhs needs per-tensor quantization");
    assertThatThrownBy(() -> AddRequant.add(t(DType.INT8, 0.5, 0), t(DType.INT8, 0.5, 0),
        t(DType.INT8, 1, 0), Activation.TANH, "Add 'y'")).isInstanceOf(KilnException.class)
        .hasMessageContaining("fused activation TANH");
  }
}
