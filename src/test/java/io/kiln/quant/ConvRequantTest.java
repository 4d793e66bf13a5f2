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

/** Per-channel requantization of conv and FC accumulators, including TFLM's two FC recipes. */
class ConvRequantTest {

  private static TensorType act(double scale, long zp) {
    return new TensorType(DType.INT8, Shape.of(1, 4), Quantization.perTensor(scale, zp));
  }

  private static TensorType perAxis(float... scales) {
    return new TensorType(DType.INT8, Shape.of(scales.length, 4),
        new Quantization.PerAxis(0, scales, new long[scales.length]));
  }

  @Test
  void handComputedPerChannelMultipliers() {
    // 1.0 * s / 1.0 for s = 0.5, 0.25, 0.75: Q31 mantissas 2^30, 2^30, 3 * 2^29.
    ConvRequant q = ConvRequant.convolution(act(1.0, 3), perAxis(0.5f, 0.25f, 0.75f),
        act(1.0, -2), 3, "t");
    assertThat(q.channels()).isEqualTo(3);
    assertThat(q.multipliers()).containsExactly(1 << 30, 1 << 30, 3 << 29);
    assertThat(q.shifts()).containsExactly(0, -1, 0);
    assertThat(q.perChannel()).isTrue();
    assertThat(q.multiplier(2)).isEqualTo(3 << 29);
    assertThat(q.shift(1)).isEqualTo(-1);
  }

  @Test
  void perTensorWeightScaleIsBroadcast() {
    // 0.5 * 0.25 / 0.125 = 1.0 = 2^30 * 2^(1 - 31).
    ConvRequant q = ConvRequant.convolution(act(0.5, 0), act(0.25, 0), act(0.125, 0), 4, "t");
    assertThat(q.multipliers()).containsExactly(1 << 30, 1 << 30, 1 << 30, 1 << 30);
    assertThat(q.shifts()).containsExactly(1, 1, 1, 1);
    assertThat(q.perChannel()).isFalse();
    // One per-axis scale is a per-tensor scale too.
    assertThat(ConvRequant.convolution(act(0.5, 0), perAxis(0.25f), act(0.125, 0), 4, "t"))
        .isEqualTo(q);
    assertThat(ConvRequant.fullyConnected(act(0.5, 0), perAxis(0.25f), act(0.125, 0), 4, "t"))
        .isEqualTo(q);
  }

  @Test
  void theRecordCannotBeChangedThroughItsArrays() {
    int[] m = {1 << 30, 1 << 29};
    ConvRequant q = new ConvRequant(m, new int[] {0, 1});
    m[0] = 7;
    q.multipliers()[1] = 7;
    assertThat(q.multipliers()).containsExactly(1 << 30, 1 << 29);
    assertThat(q).isEqualTo(new ConvRequant(new int[] {1 << 30, 1 << 29}, new int[] {0, 1}));
    assertThat(q.hashCode())
        .isEqualTo(new ConvRequant(new int[] {1 << 30, 1 << 29}, new int[] {0, 1}).hashCode());
    assertThatThrownBy(() -> new ConvRequant(new int[1], new int[2]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void badWeightQuantizationIsAOneLineError() {
    assertThatThrownBy(() -> ConvRequant.convolution(act(1, 0), perAxis(0.5f, 0.25f, 0.1f),
        act(1, 0), 2, "Conv2D 'y'")).isInstanceOf(KilnException.class)
        .hasMessage("Conv2D 'y': weights have 3 scales for 2 output channels");
    TensorType unquantized = new TensorType(DType.INT8, Shape.of(2, 4), Quantization.NONE);
    assertThatThrownBy(() -> ConvRequant.fullyConnected(act(1, 0), unquantized, act(1, 0), 2,
        "FullyConnected 'y'")).isInstanceOf(KilnException.class)
        .hasMessageContaining("integer weights are not quantized");
    assertThatThrownBy(() -> ConvRequant.convolution(
        new TensorType(DType.INT8, Shape.of(1, 4), Quantization.NONE), perAxis(0.5f), act(1, 0),
        1, "c")).isInstanceOf(KilnException.class)
        .hasMessageContaining("input needs per-tensor quantization");
  }

  /**
   * TFLM's per-tensor FC multiplies input and weight scale in float before widening; conv (and
   * per-channel FC) widen first. Seeded search for scales where the recipes disagree, then check
   * each entry point follows its own recipe.
   */
  @Test
  void perTensorFullyConnectedUsesTheFloatProduct() {
    Random r = new Random(11L);
    int differing = 0;
    for (int i = 0; i < 5_000; i++) {
      float in = (float) (0.001 + r.nextDouble());
      float w = (float) (0.0001 + r.nextDouble() * 0.01);
      float out = (float) (0.01 + r.nextDouble());
      QuantizedMultiplier viaFloat = FixedPoint.quantizeMultiplier((double) (in * w)
          / (double) out);
      QuantizedMultiplier viaDouble = FixedPoint.quantizeMultiplier((double) in * (double) w
          / (double) out);
      ConvRequant fc = ConvRequant.fullyConnected(act(in, 0), act(w, 0), act(out, 0), 2, "t");
      ConvRequant conv = ConvRequant.convolution(act(in, 0), act(w, 0), act(out, 0), 2, "t");
      assertThat(fc.multiplier(1)).isEqualTo(viaFloat.multiplier());
      assertThat(fc.shift(1)).isEqualTo(viaFloat.shift());
      assertThat(conv.multiplier(1)).isEqualTo(viaDouble.multiplier());
      assertThat(conv.shift(1)).isEqualTo(viaDouble.shift());
      if (!viaFloat.equals(viaDouble)) {
        differing++;
      }
    }
    assertThat(differing).as("cases where the two recipes differ").isGreaterThan(10);
  }

  @Test
  void perChannelFullyConnectedIsTheConvolutionRecipe() {
    Random r = new Random(12L);
    for (int i = 0; i < 2_000; i++) {
      int channels = 2 + r.nextInt(6);
      float[] scales = new float[channels];
      for (int c = 0; c < channels; c++) {
        scales[c] = (float) Math.exp(r.nextGaussian() * 2 - 5);
      }
      float in = (float) Math.exp(r.nextGaussian() * 2);
      float out = (float) Math.exp(r.nextGaussian() * 2);
      ConvRequant q = ConvRequant.fullyConnected(act(in, 0), perAxis(scales), act(out, 0),
          channels, "t");
      assertThat(q).isEqualTo(ConvRequant.convolution(act(in, 0), perAxis(scales), act(out, 0),
          channels, "t"));
      for (int c = 0; c < channels; c++) {
        QuantizedMultiplier expected = FixedPoint.quantizeMultiplier(
            (double) in * (double) scales[c] / (double) out);
        assertThat(q.multiplier(c)).isEqualTo(expected.multiplier());
        assertThat(q.shift(c)).isEqualTo(expected.shift());
      }
    }
  }
}
