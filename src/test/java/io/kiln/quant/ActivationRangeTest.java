package io.kiln.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Fused-activation clamps: hand-computed values, TFLite's float details, and errors. */
class ActivationRangeTest {

  private static TensorType out(DType d, double scale, long zp) {
    return new TensorType(d, Shape.of(4), Quantization.perTensor(scale, zp));
  }

  @Test
  void int8HandComputedRanges() {
    TensorType o = out(DType.INT8, 0.05, -10);
    assertThat(ActivationRange.quantized(Activation.NONE, o, "t"))
        .isEqualTo(new ActivationRange(-128, 127));
    assertThat(ActivationRange.quantized(Activation.RELU, o, "t"))
        .isEqualTo(new ActivationRange(-10, 127));
    // 6 / 0.05 = 120; -1 / 0.05 = -20.
    assertThat(ActivationRange.quantized(Activation.RELU6, o, "t"))
        .isEqualTo(new ActivationRange(-10, 110));
    assertThat(ActivationRange.quantized(Activation.RELU_N1_TO_1, o, "t"))
        .isEqualTo(new ActivationRange(-30, 10));
  }

  @Test
  void boundsAreIntersectedWithTheDtypeRange() {
    // RELU6 at scale 1e-4 is 60000 steps: past int16's max; a zero point of 120 puts 0 at 120.
    assertThat(ActivationRange.quantized(Activation.RELU6, out(DType.INT16, 1e-4, 0), "t"))
        .isEqualTo(new ActivationRange(0, 32767));
    assertThat(ActivationRange.quantized(Activation.RELU6, out(DType.INT8, 0.01, 120), "t"))
        .isEqualTo(new ActivationRange(120, 127));
    assertThat(ActivationRange.quantized(Activation.RELU, out(DType.UINT8, 0.1, -5), "t"))
        .isEqualTo(new ActivationRange(0, 255));
  }

  @Test
  void divisionAndRoundingHappenInFloatAsInTflite() {
    // 1 / 0.4f is 2.49999996 in double, which rounds to 2, but the float quotient is exactly
    // 2.5f, which C round() takes away from zero to 3.
    float scale = 0.4f;
    assertThat(Math.round(1.0 / scale)).isEqualTo(2);
    assertThat(1f / scale).isEqualTo(2.5f);
    assertThat(ActivationRange.quantized(Activation.RELU_N1_TO_1, DType.INT8, scale, 0, "t"))
        .isEqualTo(new ActivationRange(-3, 3));
  }

  @Test
  void clampIsInclusive() {
    ActivationRange r = new ActivationRange(-3, 5);
    assertThat(r.clamp(-4)).isEqualTo(-3);
    assertThat(r.clamp(-3)).isEqualTo(-3);
    assertThat(r.clamp(0)).isZero();
    assertThat(r.clamp(5)).isEqualTo(5);
    assertThat(r.clamp(Integer.MAX_VALUE)).isEqualTo(5);
  }

  @Test
  void unsupportedActivationsAndTypesAreOneLineErrors() {
    assertThatThrownBy(() -> ActivationRange.quantized(Activation.TANH, out(DType.INT8, 1, 0),
        "Conv2D 'y'")).isInstanceOf(KilnException.class)
        .hasMessage("Conv2D 'y': fused activation TANH is not supported");
    assertThatThrownBy(() -> ActivationRange.Floats.of(Activation.SIGN_BIT, "Add 'z'"))
        .isInstanceOf(KilnException.class).hasMessageContaining("fused activation SIGN_BIT");
    assertThatThrownBy(() -> ActivationRange.quantized(Activation.RELU, out(DType.INT32, 1, 0),
        "w")).isInstanceOf(KilnException.class)
        .hasMessageContaining("no quantized activation range for i32");
    assertThatThrownBy(() -> ActivationRange.quantized(Activation.RELU,
        new TensorType(DType.INT8, Shape.of(2), Quantization.NONE), "w"))
        .isInstanceOf(KilnException.class).hasMessageContaining("needs per-tensor quantization");
    assertThatThrownBy(() -> ActivationRange.quantized(Activation.RELU6, out(DType.INT8, 1e-12,
        0), "w")).isInstanceOf(KilnException.class).hasMessageContaining("overflows int32");
  }

  @Test
  void floatRangesAndCppClampSemantics() {
    assertThat(ActivationRange.Floats.of(Activation.RELU6, "t"))
        .isEqualTo(new ActivationRange.Floats(0f, 6f));
    ActivationRange.Floats none = ActivationRange.Floats.of(Activation.NONE, "t");
    assertThat(none.clamp(Float.MAX_VALUE)).isEqualTo(Float.MAX_VALUE);
    ActivationRange.Floats relu = ActivationRange.Floats.of(Activation.RELU, "t");
    // std::max(-0.0f, 0.0f) keeps its first argument: -0.0 passes through, as does NaN.
    assertThat(Float.floatToRawIntBits(relu.clamp(-0f))).isEqualTo(Float.floatToRawIntBits(-0f));
    assertThat(relu.clamp(Float.NaN)).isNaN();
    assertThat(relu.clamp(-2f)).isZero();
    assertThat(ActivationRange.Floats.of(Activation.RELU_N1_TO_1, "t").clamp(3f)).isEqualTo(1f);
  }

  /** The same ranges restated with an exact decimal rounding of the float quotient. */
  @Test
  void randomRangesMatchARestatement() {
    Random r = new Random(20240611L);
    Activation[] acts = {Activation.NONE, Activation.RELU, Activation.RELU6,
        Activation.RELU_N1_TO_1};
    DType[] dtypes = {DType.INT8, DType.INT16, DType.UINT8};
    for (int i = 0; i < 20_000; i++) {
      DType d = dtypes[r.nextInt(dtypes.length)];
      float scale = (float) Math.exp(r.nextGaussian() * 4);
      int zp = (int) d.min() + r.nextInt((int) (d.max() - d.min() + 1));
      Activation a = acts[r.nextInt(acts.length)];
      int lo = (int) d.min();
      int hi = (int) d.max();
      switch (a) {
        case RELU -> lo = Math.max(lo, zp + roundAway(0f / scale));
        case RELU6 -> {
          lo = Math.max(lo, zp + roundAway(0f / scale));
          hi = Math.min(hi, zp + roundAway(6f / scale));
        }
        case RELU_N1_TO_1 -> {
          lo = Math.max(lo, zp + roundAway(-1f / scale));
          hi = Math.min(hi, zp + roundAway(1f / scale));
        }
        default -> { }
      }
      assertThat(ActivationRange.quantized(a, out(d, scale, zp), "t"))
          .as("%s %s scale %s zp %s", a, d, scale, zp).isEqualTo(new ActivationRange(lo, hi));
    }
  }

  private static int roundAway(float q) {
    return new BigDecimal(q).setScale(0, RoundingMode.HALF_UP).intValueExact();
  }
}
