package io.kiln.interp;

import static io.kiln.interp.KernelTestGraphs.f32;
import static io.kiln.interp.KernelTestGraphs.floats;
import static io.kiln.interp.KernelTestGraphs.ints;
import static io.kiln.interp.KernelTestGraphs.q;
import static io.kiln.interp.KernelTestGraphs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Softmax on int8, int8 to int16, int16 and float. */
class SoftmaxKernelTest {

  private static double[] exactSoftmax(int[] x, int from, int depth, double scale) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < depth; c++) {
      max = Math.max(max, x[from + c] * scale);
    }
    double sum = 0;
    double[] e = new double[depth];
    for (int c = 0; c < depth; c++) {
      e[c] = Math.exp(x[from + c] * scale - max);
      sum += e[c];
    }
    for (int c = 0; c < depth; c++) {
      e[c] /= sum;
    }
    return e;
  }

  @Test
  void int8EqualInputsGiveExactlyOneOverDepth() {
    TensorType in = q(DType.INT8, 0.1, 0, 2, 4);
    TensorType out = q(DType.INT8, 1.0 / 256, -128, 2, 4);
    Tensor r = run(new Op.Softmax(1f), out, List.of(in), ints(in, 5, 5, 5, 5, -7, -7, -7, -7));
    // 0.25 * 256 - 128 = -64 in every element.
    assertThat(r.ints).containsOnly(-64);
  }

  @Test
  void int8RandomRowsAreWithinOneStepOfExactSoftmax() {
    Random rnd = new Random(5);
    int depth = 10;
    int rows = 50;
    double scale = 0.0625;
    TensorType in = q(DType.INT8, scale, 3, rows, depth);
    TensorType out = q(DType.INT8, 1.0 / 256, -128, rows, depth);
    int[] x = new int[rows * depth];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextInt(256) - 128;
    }
    Tensor r = run(new Op.Softmax(1f), out, List.of(in), ints(in, x));
    for (int row = 0; row < rows; row++) {
      double[] e = exactSoftmax(x, row * depth, depth, scale);
      for (int c = 0; c < depth; c++) {
        double expected = Math.min(127, e[c] * 256 - 128);
        assertThat((double) r.ints[row * depth + c]).isCloseTo(expected, within(1.0));
      }
    }
  }

  @Test
  void int8ToInt16AndInt16AreCloseToExactSoftmax() {
    Random rnd = new Random(9);
    int depth = 6;
    int[] x8 = new int[depth * 20];
    int[] x16 = new int[depth * 20];
    for (int i = 0; i < x8.length; i++) {
      x8[i] = rnd.nextInt(256) - 128;
      x16[i] = rnd.nextInt(65536) - 32768;
    }
    // int8 -> int16 is not expressible in the verified IR (int16 zero point -32768), so the
    // kernel is prepared directly.
    TensorType in8 = q(DType.INT8, 0.05, 0, 20, depth);
    TensorType out16 = q(DType.INT16, 1.0 / 65536, -32768, 20, depth);
    Tensor r8 = KernelTestGraphs.prepareUnverified(new Op.Softmax(1f), out16, in8)
        .run(new Tensor[] {ints(in8, x8)});
    TensorType in16 = q(DType.INT16, 1.0 / 4096, 0, 20, depth);
    TensorType o16 = q(DType.INT16, 1.0 / 32768, 0, 20, depth);
    Tensor r16 = run(new Op.Softmax(1f), o16, List.of(in16), ints(in16, x16));
    for (int row = 0; row < 20; row++) {
      double[] e8 = exactSoftmax(x8, row * depth, depth, 0.05);
      double[] e16 = exactSoftmax(x16, row * depth, depth, 1.0 / 4096);
      for (int c = 0; c < depth; c++) {
        int i = row * depth + c;
        assertThat((double) r8.ints[i]).isCloseTo(Math.min(32767, e8[c] * 65536 - 32768),
            within(2.0));
        // The int16 path interpolates two tables; TFLite documents a few LSB of error.
        assertThat((double) r16.ints[i]).isCloseTo(e16[c] * 32768, within(40.0));
      }
    }
  }

  @Test
  void int16TablesAreMonotoneAndHitTheirEnds() {
    short[] exp = SoftmaxKernel.lutInt16(10.0f / 65535, 32767, 2.0f / 65535, 0,
        v -> (float) StrictMath.exp(v));
    assertThat(exp).hasSize(513);
    assertThat(exp[512]).isEqualTo((short) 32767); // exp(0) = 1.0
    assertThat(exp[0]).isBetween((short) 0, (short) 3); // exp(-10) * 32767.5 ~ 1.5
    for (int i = 1; i < exp.length; i++) {
      assertThat(exp[i]).isGreaterThanOrEqualTo(exp[i - 1]);
    }
    // Lookup at a table node returns the node itself.
    assertThat(SoftmaxKernel.lutLookup(32767 - 127, exp)).isEqualTo((int) exp[511]);
  }

  @Test
  void floatSoftmax() {
    TensorType t = f32(1, 3);
    Tensor r = run(new Op.Softmax(2f), t, List.of(t), floats(t, 0f, 0f, (float) Math.log(2)));
    // beta 2: exp(0), exp(0), exp(2 ln 2) = 1, 1, 4.
    assertThat(r.floats[0]).isCloseTo(1f / 6, within(1e-7f));
    assertThat(r.floats[2]).isCloseTo(4f / 6, within(1e-6f));
  }

  @Test
  void wrongOutputQuantizationIsAUserError() {
    TensorType in = q(DType.INT8, 0.1, 0, 4);
    TensorType out = q(DType.INT8, 1.0 / 255, -128, 4);
    assertThatThrownBy(() -> run(new Op.Softmax(1f), out, List.of(in), ints(in, 1, 2, 3, 4)))
        .isInstanceOf(KilnException.class).hasMessageContaining("1/256");
    TensorType i32 = TensorType.of(DType.INT32, 4);
    assertThatThrownBy(() -> run(new Op.Softmax(1f), i32, List.of(i32), ints(i32, 1, 2, 3, 4)))
        .isInstanceOf(KilnException.class).hasMessageContaining("Softmax on i32");
  }
}
