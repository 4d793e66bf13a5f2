package io.kiln.interp;

import static io.kiln.interp.ConvTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Mean: TFLite Micro's quantized path (count folded into the multiplier, then one
 * requantization), float sums, keep_dims, and errors.
 */
class MeanKernelTest {

  private static Graph mean(TensorType in, List<Integer> axes, boolean keep, Quantization out) {
    GraphBuilder b = new GraphBuilder("mean");
    int x = b.input("in", in);
    b.output(b.apply(new Op.Mean(axes, keep), List.of(x), "out", in.dtype(), out));
    return b.build();
  }

  @Test
  void sameScaleMeanRoundsTwiceLikeTflm() {
    TensorType t = q(DType.INT8, Shape.of(1, 2, 2, 1), 0.5, 0);
    Graph g = mean(t, List.of(1, 2), true, t.quant());
    // 1.0 * 2^0 / 4: multiplier 2^30, shift 1 - 2 = -1. Sum 11 -> 2.75 -> 3.
    assertThat(ConvTestSupport.run(g, Tensor.ofInts(DType.INT8, t.shape(),
        new int[] {1, 2, 3, 5})).ints).containsExactly(3);
    // Sum 9 is 2.25, yet TFLM gives 3: 9 * 0.5 = 4.5 -> 5 in the high multiply, 5 / 2 -> 3.
    assertThat(ConvTestSupport.run(g, Tensor.ofInts(DType.INT8, t.shape(),
        new int[] {1, 2, 3, 3})).ints).containsExactly(3);
    // Sum -9: -4.5 -> -4 (ties up), then -4 / 2 = -2.
    assertThat(ConvTestSupport.run(g, Tensor.ofInts(DType.INT8, t.shape(),
        new int[] {-1, -2, -3, -3})).ints).containsExactly(-2);
  }

  @Test
  void requantizingMeanWithZeroPointsAndNonPowerOfTwoCount() {
    TensorType t = q(DType.INT8, Shape.of(1, 1, 4, 1), 0.5, 2);
    Graph g = mean(t, List.of(2), false, Quantization.perTensor(0.25, -1));
    // (3 + 5 + 8 + 10) - 2 * 4 = 18; scale 2 / 4 -> 9; plus -1.
    assertThat(ConvTestSupport.run(g, Tensor.ofInts(DType.INT8, t.shape(),
        new int[] {3, 5, 8, 10})).ints).containsExactly(8);

    TensorType t3 = q(DType.INT8, Shape.of(1, 3), 1.0, 0);
    Graph g3 = mean(t3, List.of(1), false, Quantization.perTensor(1.0, 0));
    // Count 3: multiplier (2^30 << 1) / 3 = 715827882, shift 0; 4 / 3 -> 1, 5 / 3 -> 2.
    assertThat(ConvTestSupport.run(g3, Tensor.ofInts(DType.INT8, t3.shape(),
        new int[] {1, 1, 2})).ints).containsExactly(1);
    assertThat(ConvTestSupport.run(g3, Tensor.ofInts(DType.INT8, t3.shape(),
        new int[] {1, 2, 2})).ints).containsExactly(2);
  }

  @Test
  void int16MeanSaturates() {
    TensorType t = q(DType.INT16, Shape.of(2, 2), 1.0, 0);
    Graph g = mean(t, List.of(1), true, Quantization.perTensor(0.5, 0));
    assertThat(ConvTestSupport.run(g, Tensor.ofInts(DType.INT16, t.shape(),
        new int[] {30000, 30000, -30000, -29000})).ints).containsExactly(32767, -32768);
  }

  @Test
  void floatMeanOverSeveralAxes() {
    TensorType t = TensorType.of(DType.FLOAT32, 2, 2, 3);
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    Graph keep = mean(t, List.of(0, 2), true, Quantization.NONE);
    Tensor out = ConvTestSupport.run(keep, Tensor.ofFloats(t.shape(), x));
    assertThat(out.shape).isEqualTo(Shape.of(1, 2, 1));
    // Row h=0: 1,2,3,7,8,9 -> 5; h=1: 4,5,6,10,11,12 -> 8.
    assertThat(out.floats).containsExactly(5f, 8f);
    Graph all = mean(t, List.of(0, 1, 2), false, Quantization.NONE);
    assertThat(ConvTestSupport.run(all, Tensor.ofFloats(t.shape(), x)).floats)
        .containsExactly(6.5f);
  }

  @Test
  void randomInt8MeansMatchADirectFormulation() {
    Random r = new Random(404L);
    for (int c = 0; c < 300; c++) {
      int[] dims = {1 + r.nextInt(3), 1 + r.nextInt(5), 1 + r.nextInt(5), 1 + r.nextInt(4)};
      List<Integer> axes = r.nextBoolean() ? List.of(1, 2) : List.of(r.nextInt(4));
      float inScale = (float) (0.01 + r.nextDouble());
      float outScale = (float) (0.01 + r.nextDouble());
      int inZp = r.nextInt(21) - 10;
      int outZp = r.nextInt(21) - 10;
      TensorType t = q(DType.INT8, Shape.of(dims), inScale, inZp);
      int[] x = ConvTestSupport.randomInts(r, t.elements(), -128, 127);
      Graph g = mean(t, axes, r.nextBoolean(), Quantization.perTensor(outScale, outZp));
      Tensor out = ConvTestSupport.run(g, Tensor.ofInts(DType.INT8, t.shape(), x));
      // Direct formulation: sum each output's elements, fold the count into the multiplier.
      int count = 1;
      for (int a : axes) {
        count *= dims[a];
      }
      QuantizedMultiplier m = FixedPoint.quantizeMultiplier((double) inScale / outScale);
      int shift = Math.min(Math.min(31 - Integer.numberOfLeadingZeros(count), 32),
          31 + m.shift());
      int multiplier = (int) (((long) m.multiplier() << shift) / count);
      int[] strides = Shape.of(dims).strides();
      int o = 0;
      for (int i0 = 0; i0 < (axes.contains(0) ? 1 : dims[0]); i0++) {
        for (int i1 = 0; i1 < (axes.contains(1) ? 1 : dims[1]); i1++) {
          for (int i2 = 0; i2 < (axes.contains(2) ? 1 : dims[2]); i2++) {
            for (int i3 = 0; i3 < (axes.contains(3) ? 1 : dims[3]); i3++) {
              int sum = 0;
              for (int j0 = 0; j0 < (axes.contains(0) ? dims[0] : 1); j0++) {
                for (int j1 = 0; j1 < (axes.contains(1) ? dims[1] : 1); j1++) {
                  for (int j2 = 0; j2 < (axes.contains(2) ? dims[2] : 1); j2++) {
                    for (int j3 = 0; j3 < (axes.contains(3) ? dims[3] : 1); j3++) {
                      sum += x[(i0 + j0) * strides[0] + (i1 + j1) * strides[1]
                          + (i2 + j2) * strides[2] + (i3 + j3) * strides[3]];
                    }
                  }
                }
              }
              int v = FixedPoint.multiplyByQuantizedMultiplier(sum - inZp * count, multiplier,
                  m.shift() - shift) + outZp;
              assertThat(out.ints[o]).as("case %d output %d", c, o)
                  .isEqualTo(FixedPoint.clamp(v, -128, 127));
              // And within one LSB of the real mean.
              double real = inScale * ((double) sum / count - inZp) / outScale + outZp;
              assertThat(Math.abs(out.ints[o] - Math.max(-128, Math.min(127, real))))
                  .isLessThanOrEqualTo(1.0);
              o++;
            }
          }
        }
      }
      assertThat(o).isEqualTo(out.elements());
    }
  }

  @Test
  void int32MeanIsRejected() {
    TensorType t = TensorType.of(DType.INT32, 2, 2);
    assertThatThrownBy(() -> new Interpreter(mean(t, List.of(1), false, Quantization.NONE)))
        .isInstanceOf(KilnException.class).hasMessageContaining("Mean on i32");
  }
}
