package io.kiln.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Requant;
import io.kiln.ir.Requant.Rounding;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Verifier;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The interpreter's shift-only kernels: hand-computed cases (padding reads the zero point,
 * narrowing, ternary cells, saturation, rounding at .5, shifts 0 and 31) and seeded convs checked
 * against the stage's definition and, within one, against TFLite's kernel on power-of-two
 * scales.
 */
class ShiftKernelsTest {

  /** One conv layer x[1,h,w,c] → [1,oh,ow,k] with the given weights, bias and stage. */
  private static Graph conv(int h, int w, int c, int k, int f, int pad, int[] weights,
      int[] bias, double inScale, long inZp, double wScale, double outScale, long outZp,
      Op.Activation act, Requant requant, Encoding enc) {
    GraphBuilder b = new GraphBuilder("t");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, h, w, c), inScale, inZp));
    float[] ws = new float[k];
    Arrays.fill(ws, (float) wScale);
    int wid = b.constant("w", new TensorType(DType.INT8, Shape.of(k, f, f, c),
        new Quantization.PerAxis(0, ws, new long[k]), enc), ConstData.ofInts(DType.INT8,
        weights));
    float[] bs = new float[k];
    Arrays.fill(bs, (float) (inScale * wScale));
    int bid = b.constant("b", new TensorType(DType.INT32, Shape.of(k),
        new Quantization.PerAxis(0, bs, new long[k])), ConstData.ofInts(DType.INT32, bias));
    int y = b.apply(new Op.Conv2D(1, 1, 1, 1, new Op.Pads(pad, pad, pad, pad), act, requant),
        List.of(x, wid, bid), "y", DType.INT8, new Quantization.PerTensor((float) outScale,
            outZp));
    b.output(y);
    return Verifier.verify(b.build());
  }

  private static int[] run(Graph g, int... x) {
    Shape s = g.inputValues().get(0).shape();
    return new Interpreter(g).run(List.of(Tensor.ofInts(DType.INT8, s, x))).get(0).ints;
  }

  @Test
  void paddedTapsReadTheZeroPointSoTheyCancel() {
    // 1x1 image, 3x3 filter of ones, pad 1: only the centre tap is inside. x = 10, zp = 4:
    // TFLite: (10 - 4) * 1 + bias 2 = 8; the shift stage sums 9 taps (8 of them the zero point,
    // 4) = 10 + 32 = 42, then adds the folded bias 2 - 4 * 9 = -34: 8 again.
    int[] ones = new int[9];
    Arrays.fill(ones, 1);
    Requant.Shift s = new Requant.Shift(Rounding.FLOOR, List.of(0), -128, 127);
    Graph shift = conv(1, 1, 1, 1, 3, 1, ones, new int[] {2}, 1, 4, 1, 1, 0, Op.Activation.NONE,
        s, Encoding.DENSE);
    assertThat(run(shift, 10)).containsExactly(8);
    Graph tflite = conv(1, 1, 1, 1, 3, 1, ones, new int[] {2}, 1, 4, 1, 1, 0,
        Op.Activation.NONE, Requant.TFLITE, Encoding.DENSE);
    assertThat(run(tflite, 10)).containsExactly(8);
  }

  @Test
  void roundingAtExactlyHalfFloorAndHalfUp() {
    // acc = x * 1, shift 1: x = 3 -> 1.5, x = -3 -> -1.5.
    for (int[] c : new int[][] {{3, 1, 2}, {-3, -2, -1}, {1, 0, 1}, {-1, -1, 0}}) {
      for (Rounding r : Rounding.values()) {
        Graph g = conv(1, 1, 1, 1, 1, 0, new int[] {1}, new int[] {0}, 1, 0, 1, 2, 0,
            Op.Activation.NONE, new Requant.Shift(r, List.of(1), -128, 127), Encoding.DENSE);
        assertThat(run(g, c[0])).as("%s of %d / 2", r, c[0])
            .containsExactly(r == Rounding.FLOOR ? c[1] : c[2]);
      }
    }
  }

  @Test
  void saturatesAtTheInt8LimitsAndAtTheStageClamp() {
    Graph wide = conv(1, 1, 1, 1, 1, 0, new int[] {127}, new int[] {0}, 1, 0, 1, 1, 0,
        Op.Activation.NONE, new Requant.Shift(Rounding.FLOOR, List.of(0), -128, 127),
        Encoding.DENSE);
    assertThat(run(wide, 127)).containsExactly(127);
    assertThat(run(wide, -128)).containsExactly(-128);
    Graph adc = conv(1, 1, 1, 1, 1, 0, new int[] {1}, new int[] {0}, 1, 0, 1, 1, 0,
        Op.Activation.NONE, new Requant.Shift(Rounding.FLOOR, List.of(0), -32, 31),
        Encoding.DENSE);
    assertThat(run(adc, 100)).containsExactly(31);
    assertThat(run(adc, -100)).containsExactly(-32);
  }

  @Test
  void shiftThirtyOneOfALargeAccumulator() {
    // bias 2^30 + x·w; >> 31 half up: 0.5 + tiny -> 1; floor -> 0.
    Graph up = conv(1, 1, 1, 1, 1, 0, new int[] {1}, new int[] {1 << 30}, 1, 0, 1,
        Math.scalb(1.0, 31), 0, Op.Activation.NONE,
        new Requant.Shift(Rounding.HALF_UP, List.of(31), -128, 127), Encoding.DENSE);
    assertThat(run(up, 0)).containsExactly(1);
    assertThat(run(up, -1)).containsExactly(0);
    Graph floor = conv(1, 1, 1, 1, 1, 0, new int[] {1}, new int[] {1 << 30}, 1, 0, 1,
        Math.scalb(1.0, 31), 0, Op.Activation.NONE,
        new Requant.Shift(Rounding.FLOOR, List.of(31), -128, 127), Encoding.DENSE);
    assertThat(run(floor, 127)).containsExactly(0);
  }

  @Test
  void narrowedInputsDropTheirLowBit() {
    // 7-bit inputs by >> 1; zero point -128 -> -64. x = 51 -> 25, (25 + 64) * 1 = 89.
    Graph g = conv(1, 1, 1, 1, 1, 0, new int[] {1}, new int[] {0}, 1, -128, 1, 2, -128,
        Op.Activation.NONE, new Requant.Shift(Rounding.FLOOR, List.of(0), 7, 1, -128, 127),
        Encoding.DENSE);
    assertThat(run(g, 51)).containsExactly(89 - 128);
    assertThat(run(g, -128)).containsExactly(-128);
  }

  @Test
  void ternaryCellsRunAsTheirValuesAndBadCellsFailVerification() {
    int[] t = {1, -1, 0, 1};
    Graph g = conv(1, 1, 4, 1, 1, 0, t, new int[] {0}, 1, 0, 1, 1, 0, Op.Activation.NONE,
        new Requant.Shift(Rounding.FLOOR, List.of(0), -128, 127), Encoding.TERNARY);
    Shape s = g.inputValues().get(0).shape();
    int[] out = new Interpreter(g).run(List.of(Tensor.ofInts(DType.INT8, s,
        new int[] {5, 7, 100, -3}))).get(0).ints;
    assertThat(out).containsExactly(5 - 7 - 3);
    assertThatThrownBy(() -> conv(1, 1, 4, 1, 1, 0, new int[] {1, 2, 0, 1}, new int[] {0}, 1, 0,
        1, 1, 0, Op.Activation.NONE, Requant.TFLITE, Encoding.TERNARY))
        .isInstanceOf(KilnException.class).hasMessageContaining("ternary but holds 2");
  }

  @Test
  void aWrongShiftCountFailsVerification() {
    assertThatThrownBy(() -> conv(1, 1, 1, 2, 1, 0, new int[] {1, 1}, new int[] {0, 0}, 1, 0,
        1, 1, 0, Op.Activation.NONE, new Requant.Shift(Rounding.FLOOR, List.of(0), -128, 127),
        Encoding.DENSE)).isInstanceOf(KilnException.class)
        .hasMessageContaining("shift stage has 1 shifts, expected 2");
  }

  /**
   * Random 3x3 convs with power-of-two ratios, against a direct evaluation of the stage's
   * definition in exact arithmetic, and against TFLite's kernel: TFLite rounds twice (the
   * doubling high multiply by 0.5, then the divide by a power of two), so it differs by at most
   * one.
   */
  @Test
  void seededConvsMatchTheDefinitionAndTfliteWithinOne() {
    SplittableRandom rng = new SplittableRandom(2026);
    int differ = 0;
    for (int trial = 0; trial < 40; trial++) {
      int h = 2 + rng.nextInt(5);
      int c = 1 + rng.nextInt(4);
      int k = 1 + rng.nextInt(4);
      int[] w = new int[k * 9 * c];
      for (int i = 0; i < w.length; i++) {
        w[i] = rng.nextInt(255) - 127;
      }
      int[] bias = new int[k];
      for (int i = 0; i < k; i++) {
        bias[i] = rng.nextInt(2001) - 1000;
      }
      int zp = rng.nextInt(256) - 128;
      int shift = 4 + rng.nextInt(10);
      double out = Math.scalb(1.0, shift - 6);
      Op.Activation act = rng.nextBoolean() ? Op.Activation.RELU : Op.Activation.NONE;
      Rounding rounding = rng.nextBoolean() ? Rounding.FLOOR : Rounding.HALF_UP;
      int lo = act == Op.Activation.RELU ? -3 : -128;
      Graph ref = conv(h, h, c, k, 3, 1, w, bias, 0.25, zp, 1.0 / 16, out, -3, act,
          Requant.TFLITE, Encoding.DENSE);
      Graph lowered = conv(h, h, c, k, 3, 1, w, bias, 0.25, zp, 1.0 / 16, out, -3, act,
          new Requant.Shift(rounding, java.util.Collections.nCopies(k, shift), lo, 127),
          Encoding.DENSE);
      int[] x = new int[h * h * c];
      for (int i = 0; i < x.length; i++) {
        x[i] = rng.nextInt(256) - 128;
      }
      int[] r = run(ref, x);
      int[] u = run(lowered, x);
      for (int oy = 0; oy < h; oy++) {
        for (int ox = 0; ox < h; ox++) {
          for (int oc = 0; oc < k; oc++) {
            long acc = bias[oc];
            for (int fy = 0; fy < 3; fy++) {
              for (int fx = 0; fx < 3; fx++) {
                int iy = oy + fy - 1;
                int ix = ox + fx - 1;
                if (iy >= 0 && iy < h && ix >= 0 && ix < h) {
                  for (int ic = 0; ic < c; ic++) {
                    acc += (long) w[((oc * 3 + fy) * 3 + fx) * c + ic]
                        * (x[(iy * h + ix) * c + ic] - zp);
                  }
                }
              }
            }
            double q = acc / Math.scalb(1.0, shift);
            long v = (long) Math.floor(rounding == Rounding.FLOOR ? q : q + 0.5) - 3;
            int expected = (int) Math.max(lo, Math.min(127, v));
            int i = (oy * h + ox) * k + oc;
            assertThat(u[i]).isEqualTo(expected);
            assertThat(Math.abs(u[i] - r[i])).isLessThanOrEqualTo(1);
            differ += u[i] != r[i] ? 1 : 0;
          }
        }
      }
    }
    assertThat(differ).as("outputs where TFLite's rounding differs").isPositive();
  }
}
