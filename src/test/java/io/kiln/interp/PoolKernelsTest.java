package io.kiln.interp;

import static io.kiln.interp.ConvTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * AveragePool2D and MaxPool2D: padding excluded from the divisor, TFLite's rounding of the
 * average, clamps, errors, and seeded random geometries against a direct implementation.
 */
class PoolKernelsTest {
  /** 2x2 input, 2x2 window, stride 1, one row/column of padding before: 2x2 output. */
  private static final Pads TOP_LEFT = new Pads(1, 1, 0, 0);

  private static Graph pool(boolean average, TensorType in, int fh, int fw, int sh, int sw,
      Pads pads, Activation act, Quantization outQuant) {
    GraphBuilder b = new GraphBuilder("pool");
    int x = b.input("in", in);
    Op op = average ? new Op.AveragePool2D(fh, fw, sh, sw, pads, act)
        : new Op.MaxPool2D(fh, fw, sh, sw, pads, act);
    b.output(b.apply(op, List.of(x), "out", in.dtype(), outQuant));
    return b.build();
  }

  @Test
  void int8AverageCountsOnlyInBoundsElementsAndRoundsHalfAway() {
    TensorType t = q(DType.INT8, Shape.of(1, 2, 2, 1), 0.5, 0);
    Graph g = pool(true, t, 2, 2, 1, 1, TOP_LEFT, Activation.NONE, t.quant());
    Tensor x = Tensor.ofInts(DType.INT8, Shape.of(1, 2, 2, 1), new int[] {1, 2, -6, -16});
    // Windows: {1} -> 1; {1,2} = 1.5 -> 2; {1,-6} = -2.5 -> -3; all four = -4.75 -> -5.
    assertThat(ConvTestSupport.run(g, x).ints).containsExactly(1, 2, -3, -5);
  }

  @Test
  void int8MaxIgnoresPaddingAndAppliesRelu() {
    TensorType t = q(DType.INT8, Shape.of(1, 2, 2, 1), 0.5, -3);
    Graph g = pool(false, t, 2, 2, 1, 1, TOP_LEFT, Activation.RELU, t.quant());
    Tensor x = Tensor.ofInts(DType.INT8, Shape.of(1, 2, 2, 1), new int[] {-7, -5, -6, -16});
    // Maxima -7, -5, -6, -5; RELU clamps at the zero point -3. Padding would have given 0.
    assertThat(ConvTestSupport.run(g, x).ints).containsExactly(-3, -3, -3, -3);
    Graph plain = pool(false, t, 2, 2, 1, 1, TOP_LEFT, Activation.NONE, t.quant());
    assertThat(ConvTestSupport.run(plain, x).ints).containsExactly(-7, -5, -6, -5);
  }

  @Test
  void int16AndFloatPools() {
    TensorType t16 = q(DType.INT16, Shape.of(1, 1, 4, 1), 1.0, 0);
    Graph avg16 = pool(true, t16, 1, 2, 1, 2, Pads.NONE, Activation.NONE, t16.quant());
    Tensor x16 = Tensor.ofInts(DType.INT16, Shape.of(1, 1, 4, 1),
        new int[] {32767, 32766, -32768, -32767});
    // 32766.5 -> 32767 and -32767.5 -> -32768 (half away from zero) without int32 overflow.
    assertThat(ConvTestSupport.run(avg16, x16).ints).containsExactly(32767, -32768);
    Graph max16 = pool(false, t16, 1, 2, 1, 2, Pads.NONE, Activation.RELU6, t16.quant());
    assertThat(ConvTestSupport.run(max16, x16).ints).containsExactly(6, 0);

    TensorType tf = TensorType.of(DType.FLOAT32, 1, 2, 2, 1);
    Tensor xf = Tensor.ofFloats(Shape.of(1, 2, 2, 1), new float[] {1, 2, -6, -16});
    assertThat(ConvTestSupport.run(pool(true, tf, 2, 2, 1, 1, TOP_LEFT, Activation.NONE,
        Quantization.NONE), xf).floats).containsExactly(1f, 1.5f, -2.5f, -4.75f);
    assertThat(ConvTestSupport.run(pool(false, tf, 2, 2, 1, 1, TOP_LEFT,
        Activation.RELU_N1_TO_1, Quantization.NONE), xf).floats)
        .containsExactly(1f, 1f, 1f, 1f);
  }

  @Test
  void differentInputAndOutputQuantizationIsRejected() {
    TensorType t = q(DType.INT8, Shape.of(1, 2, 2, 1), 0.5, 0);
    assertThatThrownBy(() -> new Interpreter(pool(true, t, 2, 2, 1, 1, Pads.NONE,
        Activation.NONE, Quantization.perTensor(0.25, 0)))).isInstanceOf(KilnException.class)
        .hasMessageContaining("quantization differ");
    assertThatThrownBy(() -> new Interpreter(pool(false, t, 2, 2, 1, 1, Pads.NONE,
        Activation.NONE, Quantization.perTensor(0.5, 1)))).isInstanceOf(KilnException.class)
        .hasMessageContaining("zero point 0 vs 1");
  }

  @Test
  void randomGeometriesMatchDirectImplementation() {
    Random r = new Random(99L);
    for (int c = 0; c < 400; c++) {
      boolean average = r.nextBoolean();
      boolean int16 = r.nextBoolean();
      int n = 1 + r.nextInt(2);
      int h = 1 + r.nextInt(7);
      int w = 1 + r.nextInt(7);
      int ch = 1 + r.nextInt(3);
      int fh = 1 + r.nextInt(4);
      int fw = 1 + r.nextInt(4);
      int sh = 1 + r.nextInt(3);
      int sw = 1 + r.nextInt(3);
      // Pads below the window size keep every window touching the image.
      Pads pads = new Pads(r.nextInt(fh), r.nextInt(fw), r.nextInt(fh), r.nextInt(fw));
      if (h + pads.top() + pads.bottom() < fh || w + pads.left() + pads.right() < fw) {
        continue;
      }
      DType d = int16 ? DType.INT16 : DType.INT8;
      TensorType t = q(d, Shape.of(n, h, w, ch), 0.1, int16 ? 0 : r.nextInt(11) - 5);
      int[] x = ConvTestSupport.randomInts(r, n * h * w * ch, (int) d.min(), (int) d.max());
      Graph g = pool(average, t, fh, fw, sh, sw, pads, Activation.NONE, t.quant());
      Tensor out = ConvTestSupport.run(g, Tensor.ofInts(d, t.shape(), x));
      int oh = (h + pads.top() + pads.bottom() - fh) / sh + 1;
      int ow = (w + pads.left() + pads.right() - fw) / sw + 1;
      int i = 0;
      for (int b = 0; b < n; b++) {
        for (int oy = 0; oy < oh; oy++) {
          for (int ox = 0; ox < ow; ox++) {
            for (int k = 0; k < ch; k++) {
              long sum = 0;
              int count = 0;
              int max = Integer.MIN_VALUE;
              for (int y = oy * sh - pads.top(); y < oy * sh - pads.top() + fh; y++) {
                for (int xx = ox * sw - pads.left(); xx < ox * sw - pads.left() + fw; xx++) {
                  if (y >= 0 && y < h && xx >= 0 && xx < w) {
                    int v = x[((b * h + y) * w + xx) * ch + k];
                    sum += v;
                    count++;
                    max = Math.max(max, v);
                  }
                }
              }
              int expected = average
                  ? BigDecimal.valueOf(sum).divide(BigDecimal.valueOf(count), 0,
                      RoundingMode.HALF_UP).intValueExact()
                  : max;
              assertThat(out.ints[i]).as("case %d element %d", c, i).isEqualTo(expected);
              i++;
            }
          }
        }
      }
      assertThat(i).isEqualTo(out.elements());
    }
  }
}
