package io.kiln.interp;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
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
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Depthwise, fully-connected, Add and average-pool shift kernels where no rounding happens
 * (every ratio 1, shift 0; a window of one): they must equal TFLite's kernels bit for bit, with
 * asymmetric zero points, padding and saturation, and they must step exactly one code when the
 * output scale doubles (shift 1 at a tie rounds by the declared rounding).
 */
class ShiftKernelsExactnessTest {
  private static final SplittableRandom RNG = new SplittableRandom(77);

  private static int[] randomInts(int n, int lo, int hi) {
    int[] x = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = lo + RNG.nextInt(hi - lo + 1);
    }
    return x;
  }

  private static int[] run(Graph g, int[]... inputs) {
    List<Tensor> in = new java.util.ArrayList<>();
    for (int i = 0; i < inputs.length; i++) {
      in.add(Tensor.ofInts(DType.INT8, g.inputValues().get(i).shape(), inputs[i]));
    }
    return new Interpreter(Verifier.verify(g)).run(in).get(0).ints;
  }

  private static Graph depthwise(int c, int[] w, int[] bias, long inZp, long outZp,
      Requant requant) {
    GraphBuilder b = new GraphBuilder("dw");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 5, 5, c), 0.5, inZp));
    float[] ws = new float[c];
    Arrays.fill(ws, 0.25f);
    int wid = b.constant("w", new TensorType(DType.INT8, Shape.of(1, 3, 3, c),
        new Quantization.PerAxis(3, ws, new long[c])), ConstData.ofInts(DType.INT8, w));
    float[] bs = new float[c];
    Arrays.fill(bs, 0.125f);
    int bid = b.constant("b", new TensorType(DType.INT32, Shape.of(c),
        new Quantization.PerAxis(0, bs, new long[c])), ConstData.ofInts(DType.INT32, bias));
    b.output(b.apply(new Op.DepthwiseConv2D(1, 1, 1, 1, new Op.Pads(1, 1, 1, 1), 1,
        Op.Activation.NONE, requant), List.of(x, wid, bid), "y", DType.INT8,
        new Quantization.PerTensor(0.125f, outZp)));
    return b.build();
  }

  @Test
  void depthwiseAtRatioOneIsTflite() {
    for (int trial = 0; trial < 20; trial++) {
      int c = 1 + RNG.nextInt(6);
      int[] w = randomInts(9 * c, -127, 127);
      int[] bias = randomInts(c, -500, 500);
      long inZp = RNG.nextInt(256) - 128;
      long outZp = RNG.nextInt(256) - 128;
      int[] x = randomInts(25 * c, -128, 127);
      int[] ref = run(depthwise(c, w, bias, inZp, outZp, Requant.TFLITE), x);
      int[] low = run(depthwise(c, w, bias, inZp, outZp, new Requant.Shift(Rounding.FLOOR,
          Collections.nCopies(c, 0), -128, 127)), x);
      assertThat(low).containsExactly(ref);
    }
  }

  private static Graph fc(int in, int out, int[] w, int[] bias, long inZp, double outScale,
      Requant requant) {
    GraphBuilder b = new GraphBuilder("fc");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, in), 0.5, inZp));
    float[] ws = new float[out];
    Arrays.fill(ws, 0.25f);
    int wid = b.constant("w", new TensorType(DType.INT8, Shape.of(out, in),
        new Quantization.PerAxis(0, ws, new long[out])), ConstData.ofInts(DType.INT8, w));
    float[] bs = new float[out];
    Arrays.fill(bs, 0.125f);
    int bid = b.constant("b", new TensorType(DType.INT32, Shape.of(out),
        new Quantization.PerAxis(0, bs, new long[out])), ConstData.ofInts(DType.INT32, bias));
    b.output(b.apply(new Op.FullyConnected(Op.Activation.RELU, false, requant),
        List.of(x, wid, bid), "y", DType.INT8, new Quantization.PerTensor((float) outScale, -5)));
    return b.build();
  }

  @Test
  void fullyConnectedAtRatioOneIsTfliteAndAHalfRoundsAsDeclared() {
    for (int trial = 0; trial < 20; trial++) {
      int in = 1 + RNG.nextInt(40);
      int out = 1 + RNG.nextInt(8);
      int[] w = randomInts(in * out, -127, 127);
      int[] bias = randomInts(out, -2000, 2000);
      long zp = RNG.nextInt(256) - 128;
      int[] x = randomInts(in, -128, 127);
      int[] ref = run(fc(in, out, w, bias, zp, 0.125, Requant.TFLITE), x);
      int[] low = run(fc(in, out, w, bias, zp, 0.125, new Requant.Shift(Rounding.HALF_UP,
          Collections.nCopies(out, 0), -5, 127)), x);
      assertThat(low).containsExactly(ref);
    }
    // One input, weight 1, bias 0, output scale twice the accumulator's: x = -3 is -1.5.
    int[] w = {1};
    for (Rounding r : Rounding.values()) {
      int[] y = run(fc(1, 1, w, new int[] {0}, 0, 0.25, new Requant.Shift(r, List.of(1), -128,
          127)), new int[] {-3});
      assertThat(y).containsExactly((r == Rounding.FLOOR ? -2 : -1) - 5);
    }
  }

  private static Graph add(double lhs, double rhs, double out, long zpA, long zpB, long zpO,
      Requant requant) {
    GraphBuilder b = new GraphBuilder("add");
    int a = b.input("a", TensorType.quantized(DType.INT8, Shape.of(1, 4, 4, 3), lhs, zpA));
    int c = b.input("b", TensorType.quantized(DType.INT8, Shape.of(1, 4, 4, 3), rhs, zpB));
    b.output(b.apply(new Op.Add(Op.Activation.NONE, requant), List.of(a, c), "y", DType.INT8,
        new Quantization.PerTensor((float) out, zpO)));
    return b.build();
  }

  @Test
  void addAtRatioOneIsTfliteAndSaturates() {
    for (int trial = 0; trial < 20; trial++) {
      long zpA = RNG.nextInt(256) - 128;
      long zpB = RNG.nextInt(256) - 128;
      long zpO = RNG.nextInt(256) - 128;
      int[] a = randomInts(48, -128, 127);
      int[] c = randomInts(48, -128, 127);
      int[] ref = run(add(0.5, 0.5, 0.5, zpA, zpB, zpO, Requant.TFLITE), a, c);
      int[] low = run(add(0.5, 0.5, 0.5, zpA, zpB, zpO, new Requant.Shift(Rounding.FLOOR,
          List.of(0, 0), -128, 127)), a, c);
      assertThat(low).containsExactly(ref);
    }
    // lhs at twice the output scale (left shift 1), rhs at half (right shift 1), floor: 2·a +
    // b/2 rounded down once.
    int[] a = new int[48];
    int[] c = new int[48];
    a[0] = 100;
    c[1] = -3;
    a[2] = 1;
    c[2] = 1;
    int[] y = run(add(1, 0.25, 0.5, 0, 0, 0, new Requant.Shift(Rounding.FLOOR, List.of(-1, 1),
        -128, 127)), a, c);
    assertThat(Arrays.copyOf(y, 3)).containsExactly(127, -2, 2);
  }

  @Test
  void averagePoolShiftsByTheWindowCount() {
    GraphBuilder b = new GraphBuilder("avg");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 2, 2, 1), 0.5, -10));
    b.output(b.apply(new Op.AveragePool2D(2, 2, 2, 2, Op.Pads.NONE, Op.Activation.NONE,
        new Requant.Shift(Rounding.HALF_UP, List.of(0), -128, 127)), List.of(x), "y",
        DType.INT8, new Quantization.PerTensor(0.5f, -10)));
    Graph g = b.build();
    // (x - zp) = 1, 2, 3, 0: sum 6, / 4 = 1.5 -> 2 (half up), + zp.
    assertThat(run(g, new int[] {-9, -8, -7, -10})).containsExactly(2 - 10);
    // -1.5 -> -1 half up.
    assertThat(run(g, new int[] {-11, -12, -13, -10})).containsExactly(-1 - 10);
  }
}
