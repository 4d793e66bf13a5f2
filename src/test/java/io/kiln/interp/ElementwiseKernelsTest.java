package io.kiln.interp;

import static io.kiln.interp.KernelTestGraphs.f32;
import static io.kiln.interp.KernelTestGraphs.floats;
import static io.kiln.interp.KernelTestGraphs.ints;
import static io.kiln.interp.KernelTestGraphs.q;
import static io.kiln.interp.KernelTestGraphs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Shape;
import io.kiln.ir.ShapeInference;
import io.kiln.ir.TensorType;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Add, Sub and Mul: hand-computed quantized cases, broadcasting against a naive loop, errors. */
class ElementwiseKernelsTest {

  private static int[] randomInts(Random rnd, int n, int lo, int hi) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = lo + rnd.nextInt(hi - lo + 1);
    }
    return v;
  }

  @Test
  void addInt8WithUnitScalesIsIntegerAdditionOfOffsetValues() {
    TensorType a = q(DType.INT8, 1.0, 3, 2, 50);
    TensorType b = q(DType.INT8, 1.0, -5, 2, 50);
    TensorType o = q(DType.INT8, 1.0, 10, 2, 50);
    Random rnd = new Random(1);
    int[] x = randomInts(rnd, 100, -128, 127);
    int[] y = randomInts(rnd, 100, -128, 127);
    Tensor out = run(new Op.Add(Activation.NONE), o, List.of(a, b), ints(a, x), ints(b, y));
    for (int i = 0; i < 100; i++) {
      int expected = Math.max(-128, Math.min(127, (x[i] - 3) + (y[i] + 5) + 10));
      assertThat(out.ints[i]).as("element %d", i).isEqualTo(expected);
    }
  }

  @Test
  void subInt16WithUnitScalesSaturates() {
    TensorType t = q(DType.INT16, 1.0, 0, 4);
    Tensor out = run(new Op.Sub(Activation.NONE), t, List.of(t, t),
        ints(t, 32767, -32768, 100, -7), ints(t, -1, 1, 300, -7));
    assertThat(out.ints).containsExactly(32767, -32768, -200, 0);
  }

  @Test
  void addInt8DifferentScalesRoundsHalfAwayFromZero() {
    TensorType a = q(DType.INT8, 0.5, 0, 3);
    TensorType b = q(DType.INT8, 0.25, 0, 3);
    TensorType o = q(DType.INT8, 1.0, 0, 3);
    // 1.5 + 0.5 = 2; 0.5 + 0.25 = 0.75 -> 1; -0.75 -> -1.
    Tensor out = run(new Op.Add(Activation.NONE), o, List.of(a, b), ints(a, 3, 1, -1),
        ints(b, 2, 1, -1));
    assertThat(out.ints).containsExactly(2, 1, -1);
  }

  @Test
  void fusedReluClampsAtOutputZeroPoint() {
    TensorType t = q(DType.INT8, 1.0, 10, 3);
    Tensor out = run(new Op.Add(Activation.RELU), t, List.of(t, t), ints(t, 0, 10, 20),
        ints(t, 0, 10, 20));
    // Reals: -20, 0, 20 -> relu -> 0, 0, 20 -> quantized 10, 10, 30.
    assertThat(out.ints).containsExactly(10, 10, 30);
  }

  @Test
  void mulInt8AndInt16() {
    TensorType a = q(DType.INT8, 0.5, 1, 3);
    TensorType o = q(DType.INT8, 0.25, -2, 3);
    // (x - 1) * (y - 1) * 0.25 / 0.25 - 2.
    Tensor out = run(new Op.Mul(Activation.NONE), o, List.of(a, a), ints(a, 3, -10, 100),
        ints(a, 5, 4, 100));
    assertThat(out.ints).containsExactly(6, -35, 127);
    TensorType s = q(DType.INT16, 1.0 / 128, 0, 2);
    Tensor out16 = run(new Op.Mul(Activation.NONE), s, List.of(s, s), ints(s, 256, -384),
        ints(s, 192, 128));
    // 2 * 1.5 = 3 -> 384; -3 * 1 = -3 -> -384.
    assertThat(out16.ints).containsExactly(384, -384);
  }

  @Test
  void floatOpsWithActivations() {
    TensorType t = f32(3);
    Tensor x = floats(t, 1.5f, -2f, 4f);
    Tensor y = floats(t, 2f, 1f, 3f);
    assertThat(run(new Op.Mul(Activation.RELU6), t, List.of(t, t), x, y).floats)
        .containsExactly(3f, 0f, 6f);
    assertThat(run(new Op.Sub(Activation.RELU_N1_TO_1), t, List.of(t, t), x, y).floats)
        .containsExactly(-0.5f, -1f, 1f);
    assertThat(run(new Op.Add(Activation.NONE), t, List.of(t, t), x, y).floats)
        .containsExactly(3.5f, -1f, 7f);
  }

  @Test
  void randomizedBroadcastingMatchesNaiveIndexing() {
    Random rnd = new Random(42);
    for (int trial = 0; trial < 200; trial++) {
      int rank = 1 + rnd.nextInt(5);
      int[] out = new int[rank];
      for (int a = 0; a < rank; a++) {
        out[a] = 1 + rnd.nextInt(4);
      }
      int[] da = operandDims(rnd, out);
      int[] db = operandDims(rnd, out);
      TensorType ta = f32(da);
      TensorType tb = f32(db);
      float[] xa = new float[Shape.of(da).elements()];
      float[] xb = new float[Shape.of(db).elements()];
      for (int i = 0; i < xa.length; i++) {
        xa[i] = i;
      }
      for (int i = 0; i < xb.length; i++) {
        xb[i] = 1000 * i;
      }
      Op op = new Op.Add(Activation.NONE);
      Shape os = ShapeInference.broadcast(op, Shape.of(da), Shape.of(db));
      Tensor got = run(op, f32(os.dims()), List.of(ta, tb), floats(ta, xa), floats(tb, xb));
      int[] idx = new int[os.rank()];
      for (int k = 0; k < os.elements(); k++) {
        float expected = xa[naiveIndex(idx, da)] + xb[naiveIndex(idx, db)];
        assertThat(got.floats[k]).as("trial %d, out %s, a %s, b %s, element %d", trial, os,
            Shape.of(da), Shape.of(db), k).isEqualTo(expected);
        for (int a = os.rank() - 1; a >= 0 && ++idx[a] == os.dim(a); a--) {
          idx[a] = 0;
        }
      }
    }
  }

  /** A broadcastable operand: some leading dims dropped, some dims replaced by 1. */
  private static int[] operandDims(Random rnd, int[] out) {
    int drop = rnd.nextInt(out.length + 1);
    int[] d = new int[out.length - drop];
    for (int i = 0; i < d.length; i++) {
      d[i] = rnd.nextInt(3) == 0 ? 1 : out[drop + i];
    }
    return d;
  }

  /** Row-major index into an operand aligned at the right, repeating its size-1 dims. */
  private static int naiveIndex(int[] outIdx, int[] dims) {
    int offset = outIdx.length - dims.length;
    int index = 0;
    for (int i = 0; i < dims.length; i++) {
      index = index * dims[i] + (dims[i] == 1 ? 0 : outIdx[offset + i]);
    }
    return index;
  }

  @Test
  void unsupportedCombinationsAreUserErrors() {
    // Unquantized int32 Add is TFLM's plain C addition (the audio front-end uses it); int16
    // without quantization has no kernel.
    TensorType i32 = TensorType.of(DType.INT32, 2);
    assertThat(run(new Op.Add(Activation.NONE), i32, List.of(i32, i32), ints(i32, 1, 2),
        ints(i32, 3, -4)).ints).containsExactly(4, -2);
    assertThat(run(new Op.Mul(Activation.NONE), i32, List.of(i32, i32), ints(i32, 65536, 2),
        ints(i32, 65536, 3)).ints).as("wraps like C's int32").containsExactly(0, 6);
    TensorType u32 = TensorType.of(DType.UINT32, 2);
    assertThatThrownBy(() -> run(new Op.Add(Activation.NONE), u32, List.of(u32, u32),
        ints(u32, 1, 2), ints(u32, 3, 4)))
        .isInstanceOf(KilnException.class).hasMessageContaining("does not support Add on u32");
    TensorType t = q(DType.INT8, 1.0, 0, 2);
    assertThatThrownBy(() -> run(new Op.Add(Activation.TANH), t, List.of(t, t), ints(t, 1, 2),
        ints(t, 3, 4))).isInstanceOf(KilnException.class).hasMessageContaining("TANH");
    TensorType s = q(DType.INT16, 1.0, 0, 2);
    TensorType sz = q(DType.INT16, 1.0, 0, 2);
    assertThatThrownBy(() -> KernelTestGraphs.prepareUnverified(new Op.Mul(Activation.NONE),
        q(DType.INT16, 1.0, 3, 2), s, sz))
        .isInstanceOf(KilnException.class).hasMessageContaining("zero points of 0");
  }
}
