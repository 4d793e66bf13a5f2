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
import org.junit.jupiter.api.Test;

/** Logistic, Tanh, LeakyRelu, Relu and Relu6 on int8, int16 and float. */
class ActivationKernelsTest {

  private static int[] range(int lo, int hi) {
    int[] v = new int[hi - lo + 1];
    for (int i = 0; i < v.length; i++) {
      v[i] = lo + i;
    }
    return v;
  }

  @Test
  void int8LogisticAndTanhFollowTheCurvesWithinOneStep() {
    int[] x = range(-128, 127);
    TensorType in = q(DType.INT8, 0.05, 10, 256);
    Tensor lg = run(new Op.Logistic(), q(DType.INT8, 1.0 / 256, -128, 256), List.of(in),
        ints(in, x));
    Tensor th = run(new Op.Tanh(), q(DType.INT8, 1.0 / 128, 0, 256), List.of(in), ints(in, x));
    for (int i = 0; i < x.length; i++) {
      double r = 0.05 * (x[i] - 10);
      assertThat((double) lg.ints[i]).as("logistic(%s)", r)
          .isCloseTo(Math.min(127, 256 / (1 + Math.exp(-r)) - 128), within(1.0));
      assertThat((double) th.ints[i]).as("tanh(%s)", r)
          .isCloseTo(Math.max(-128, Math.min(127, 128 * Math.tanh(r))), within(1.0));
    }
    // At the zero point both are exactly centred.
    assertThat(lg.ints[10 + 128]).isZero();
    assertThat(th.ints[10 + 128]).isZero();
  }

  @Test
  void int16LogisticAndTanhOnPowerOfTwoAndGeneralScales() {
    int[] x = new int[201];
    for (int i = 0; i < x.length; i++) {
      x[i] = -32768 + i * 327;
    }
    for (double scale : new double[] {1.0 / 4096, 1.0 / 8192, 0.0003}) {
      TensorType in = q(DType.INT16, scale, 0, x.length);
      TensorType out = q(DType.INT16, 1.0 / 32768, 0, x.length);
      Tensor lg = run(new Op.Logistic(), out, List.of(in), ints(in, x));
      Tensor th = run(new Op.Tanh(), out, List.of(in), ints(in, x));
      for (int i = 0; i < x.length; i++) {
        double r = (float) scale * x[i];
        assertThat((double) lg.ints[i]).as("logistic(%s) at scale %s", r, scale)
            .isCloseTo(Math.min(32767, 32768 / (1 + Math.exp(-r))), within(12.0));
        assertThat((double) th.ints[i]).as("tanh(%s) at scale %s", r, scale)
            .isCloseTo(Math.max(-32768, Math.min(32767, 32768 * Math.tanh(r))), within(24.0));
      }
    }
    TensorType in = q(DType.INT16, 1.0 / 4096, 0, 1);
    TensorType out = q(DType.INT16, 1.0 / 32768, 0, 1);
    assertThat(run(new Op.Logistic(), out, List.of(in), ints(in, 0)).ints).containsExactly(16384);
    assertThat(run(new Op.Tanh(), out, List.of(in), ints(in, 0)).ints).containsExactly(0);
  }

  @Test
  void leakyReluQuantizedUsesSeparateMultipliers() {
    TensorType t = q(DType.INT16, 0.5, 0, 4);
    Tensor r = run(new Op.LeakyRelu(0.25f), t, List.of(t), ints(t, 100, -100, -3, 32767));
    // -100 * 0.25 = -25; -3 * 0.25 = -0.75 -> -1 (rounded away by the shift).
    assertThat(r.ints).containsExactly(100, -25, -1, 32767);
    TensorType a = q(DType.INT8, 0.1, -10, 3);
    TensorType b = q(DType.INT8, 0.2, 5, 3);
    // reals: 2.0 -> 10 + 5; -4.0 * 0.5 = -2.0 -> -10 + 5; 0 -> 5.
    assertThat(run(new Op.LeakyRelu(0.5f), b, List.of(a), ints(a, 10, -50, -10)).ints)
        .containsExactly(15, -5, 5);
    TensorType neg = q(DType.INT8, 1.0, 0, 2);
    assertThat(run(new Op.LeakyRelu(-1f), neg, List.of(neg), ints(neg, -7, 7)).ints)
        .containsExactly(7, 7);
  }

  @Test
  void reluRequantizesAndRelu6ClampsInInputQuantization() {
    TensorType a = q(DType.INT8, 0.1, 3, 4);
    TensorType b = q(DType.INT8, 0.05, -20, 4);
    // reals: -1.0, 0.5, 2.0, 12.5 -> relu -> 0, 0.5, 2.0, 12.5 -> /0.05 - 20 -> -20, -10, 20, 230.
    assertThat(run(new Op.Relu(), b, List.of(a), ints(a, -7, 8, 23, 128 - 1)).ints)
        .containsExactly(-20, -10, 20, 127);
    TensorType c = q(DType.INT8, 0.1, 3, 4);
    // six = round(6 / 0.1) + 3 = 63.
    assertThat(run(new Op.Relu6(), c, List.of(c), ints(c, -128, 0, 50, 100)).ints)
        .containsExactly(3, 3, 50, 63);
    TensorType f = f32(4);
    assertThat(run(new Op.Relu6(), f, List.of(f), floats(f, -1f, 0.5f, 6.5f, 3f)).floats)
        .containsExactly(0f, 0.5f, 6f, 3f);
    assertThat(run(new Op.Relu(), f, List.of(f), floats(f, -1f, 0.5f, 6.5f, 3f)).floats)
        .containsExactly(0f, 0.5f, 6.5f, 3f);
  }

  @Test
  void floatLogisticTanhAndLeakyRelu() {
    TensorType f = f32(3);
    Tensor lg = run(new Op.Logistic(), f, List.of(f), floats(f, 0f, 20f, -12f));
    assertThat(lg.floats[0]).isEqualTo(0.5f);
    assertThat(lg.floats[1]).isEqualTo(1f);
    assertThat(lg.floats[2]).isCloseTo((float) Math.exp(-12), within(1e-10f));
    Tensor th = run(new Op.Tanh(), f, List.of(f), floats(f, 0f, 1f, -30f));
    assertThat(th.floats).containsExactly(0f, (float) Math.tanh(1), -1f);
    Tensor lr = run(new Op.LeakyRelu(0.1f), f, List.of(f), floats(f, 2f, -2f, 0f));
    assertThat(lr.floats).containsExactly(2f, -2f * 0.1f, 0f);
  }

  @Test
  void unsupportedQuantizationsAreUserErrors() {
    TensorType in = q(DType.INT8, 0.05, 0, 2);
    assertThatThrownBy(() -> run(new Op.Logistic(), q(DType.INT8, 1.0 / 256, 0, 2),
        List.of(in), ints(in, 1, 2)))
        .isInstanceOf(KilnException.class).hasMessageContaining("zero point -128");
    TensorType i16 = q(DType.INT16, 1.0 / 4096, 0, 2);
    assertThatThrownBy(() -> run(new Op.Tanh(), q(DType.INT16, 1.0 / 1000, 0, 2),
        List.of(i16), ints(i16, 1, 2)))
        .isInstanceOf(KilnException.class).hasMessageContaining("2^-15");
    TensorType c = q(DType.INT8, 0.1, 3, 2);
    assertThatThrownBy(() -> run(new Op.Relu6(), q(DType.INT8, 0.2, 3, 2), List.of(c),
        ints(c, 1, 2))).isInstanceOf(KilnException.class).hasMessageContaining("Relu6");
    TensorType i32 = TensorType.of(DType.INT32, 2);
    assertThatThrownBy(() -> run(new Op.Relu(), i32, List.of(i32), ints(i32, 1, 2)))
        .isInstanceOf(KilnException.class).hasMessageContaining("Relu on i32");
  }
}
