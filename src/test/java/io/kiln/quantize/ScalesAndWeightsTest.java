package io.kiln.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kiln.ir.DType;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Scale choice, weight and bias quantization, and the observers' clipping ranges. */
class ScalesAndWeightsTest {
  @Test
  void activationRangeAlwaysHoldsZeroExactly() {
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < 1000; i++) {
      double lo = rng.nextDouble(-50, 10);
      double hi = lo + rng.nextDouble(1e-3, 60);
      Quantization.PerTensor q = Scales.activation(lo, hi, i % 2 == 0);
      assertThat(q.zeroPoint()).isBetween(-128L, 127L);
      // Both ends of the (zero-widened) range are representable within half a step.
      double min = q.scale() * (-128 - q.zeroPoint());
      double max = q.scale() * (127 - q.zeroPoint());
      assertThat(min).isLessThanOrEqualTo(Math.min(lo, 0) + q.scale() / 2 + 1e-9);
      assertThat(max).isGreaterThanOrEqualTo(Math.max(hi, 0) - q.scale() / 2 - 1e-9);
      if (i % 2 == 0) {
        assertThat(Scales.isPow2(q.scale())).isTrue();
      }
    }
  }

  @Test
  void reluRangeHasZeroPointMinus128AndConstantZeroGetsAHarmlessScale() {
    assertThat(Scales.activation(0, 6, false))
        .isEqualTo(new Quantization.PerTensor((float) (6.0 / 255), -128));
    assertThat(Scales.activation(0, 0, false).scale()).isEqualTo(1f / 256);
    assertThat(Scales.activation(-2, -1, false).zeroPoint()).isEqualTo(127);
  }

  @Test
  void pow2RoundingBoundaries() {
    assertThat(Scales.pow2Ceil(0.25)).isEqualTo(0.25);
    assertThat(Scales.pow2Ceil(0.2500001)).isEqualTo(0.5);
    assertThat(Scales.pow2Ceil(3)).isEqualTo(4);
    assertThat(Scales.pow2Nearest(0.7)).isEqualTo(0.5);
    assertThat(Scales.pow2Nearest(0.71)).isEqualTo(1);
    assertThat(Scales.isPow2(0.125f)).isTrue();
    assertThat(Scales.isPow2(0.3f)).isFalse();
  }

  @Test
  void perTensorAndPerChannelWeights() {
    float[] w = {1, -2, 0.5f, 0.25f, -1f, 0.125f}; // two channels along axis 0
    var t = WeightQuantizer.weights(w, Shape.of(2, 3), 0, false,
        QuantizeOptions.WeightFormat.INT8, false);
    assertThat(t.type().quant()).isEqualTo(new Quantization.PerTensor(2f / 127, 0));
    assertThat(t.data().asInts(DType.INT8)).containsExactly(64, -127, 32, 16, -64, 8);
    var c = WeightQuantizer.weights(w, Shape.of(2, 3), 0, true,
        QuantizeOptions.WeightFormat.INT8, false);
    assertThat(c.data().asInts(DType.INT8)).containsExactly(64, -127, 32, 32, -127, 16);
    assertThat(c.type().quant().scaleAt(1)).isEqualTo((float) (1.0 / 127));
  }

  @Test
  void depthwiseChannelsRunAlongTheLastAxis() {
    float[] w = {1, 10, -1, -10}; // [1, 2, 1, 2]: channel = index % 2
    var c = WeightQuantizer.weights(w, Shape.of(1, 2, 1, 2), 3, true,
        QuantizeOptions.WeightFormat.INT8, false);
    assertThat(c.data().asInts(DType.INT8)).containsExactly(127, 127, -127, -127);
    assertThat(((Quantization.PerAxis) c.type().quant()).axis()).isEqualTo(3);
  }

  @Test
  void ternaryUsesThresholdAndMeanOfKeptMagnitudes() {
    // mean |w| = 0.5, threshold 0.35: 0.1 and -0.2 become 0; the rest ±1 with scale mean(0.8, 0.9)
    float[] w = {0.1f, -0.2f, 0.8f, -0.9f};
    var t = WeightQuantizer.weights(w, Shape.of(1, 4), 0, false,
        QuantizeOptions.WeightFormat.TERNARY, false);
    assertThat(t.data().asInts(DType.INT8)).containsExactly(0, 0, 1, -1);
    assertThat(t.type().quant().scaleAt(0)).isCloseTo(0.85f, within(1e-6f));
  }

  @Test
  void biasScaleIsInputTimesWeightAndRoundsHalfAway() {
    Quantization w = new Quantization.PerAxis(0, new float[] {0.5f, 0.25f}, new long[2]);
    var b = WeightQuantizer.bias(new float[] {1.25f, -0.3125f}, Shape.of(2), 0.5f, w);
    // 1.25 / 0.25 = 5; -0.3125 / 0.125 = -2.5 → -3 (away from zero)
    assertThat(b.data().asInts(DType.INT32)).containsExactly(5, -3);
    assertThat(b.type().quant().scaleAt(1)).isEqualTo(0.125f);
  }

  @Test
  void observersClipOutliersMinmaxDoesNot() {
    SplittableRandom rng = new SplittableRandom(5);
    float[] x = new float[100_000];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    x[0] = 40; // one outlier
    ValueStatistics s = new ValueStatistics();
    s.observeRange(x);
    s.observeHistogram(x);
    assertThat(s.range(QuantizeOptions.Observer.MINMAX, 99.99).hi()).isEqualTo(40);
    double p = s.range(QuantizeOptions.Observer.PERCENTILE, 99.99).hi();
    assertThat(p).isBetween(3.0, 6.0);
    double mse = s.range(QuantizeOptions.Observer.MSE, 99.99).hi();
    assertThat(mse).isLessThan(40).isGreaterThan(2);
  }

  @Test
  void observersWithoutSpreadReturnTheValue() {
    ValueStatistics s = new ValueStatistics();
    float[] x = {2, 2, 2};
    s.observeRange(x);
    s.observeHistogram(x);
    assertThat(s.range(QuantizeOptions.Observer.MSE, 99.99))
        .isEqualTo(new ValueStatistics.Range(2, 2));
    assertThat(new ValueStatistics().range(QuantizeOptions.Observer.MINMAX, 99.99))
        .isEqualTo(new ValueStatistics.Range(0, 0));
  }
}
