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
import io.kiln.ir.Shape;
import io.kiln.ir.ShapeInference;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reshape, Pad, StridedSlice, Concatenation and Transpose, with seeded geometry sweeps. */
class ShapeKernelsTest {

  private static int[] iota(int n) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return v;
  }

  @Test
  void reshapeKeepsData() {
    TensorType in = q(DType.INT8, 1.0, 0, 2, 3);
    TensorType out = q(DType.INT8, 1.0, 0, 3, 2);
    Tensor r = run(new Op.Reshape(Shape.of(3, 2)), out, List.of(in), ints(in, 1, 2, 3, 4, 5, 6));
    assertThat(r.shape).isEqualTo(Shape.of(3, 2));
    assertThat(r.ints).containsExactly(1, 2, 3, 4, 5, 6);
  }

  @Test
  void padUsesOutputZeroPointForInt8AndZeroOtherwise() {
    TensorType in = q(DType.INT8, 0.5, -7, 1, 2);
    TensorType out = q(DType.INT8, 0.5, -7, 2, 4);
    Tensor r = run(new Op.Pad(List.of(1, 1), List.of(0, 1)), out, List.of(in), ints(in, 4, 5));
    assertThat(r.ints).containsExactly(-7, -7, -7, -7, -7, 4, 5, -7);
    TensorType fi = f32(2);
    assertThat(run(new Op.Pad(List.of(2), List.of(1)), f32(5), List.of(fi),
        floats(fi, 1f, 2f)).floats).containsExactly(0f, 0f, 1f, 2f, 0f);
    TensorType i32 = TensorType.of(DType.INT32, 1);
    assertThat(run(new Op.Pad(List.of(1), List.of(0)), TensorType.of(DType.INT32, 2),
        List.of(i32), ints(i32, 9)).ints).containsExactly(0, 9);
  }

  @Test
  void randomizedStridedSlicesMatchPythonSlicing() {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 400; trial++) {
      int rank = 1 + rnd.nextInt(4);
      int[] dims = new int[rank];
      for (int a = 0; a < rank; a++) {
        dims[a] = 1 + rnd.nextInt(6);
      }
      List<Integer> begin = new ArrayList<>();
      List<Integer> end = new ArrayList<>();
      List<Integer> strides = new ArrayList<>();
      int beginMask = rnd.nextInt(1 << rank);
      int endMask = rnd.nextInt(1 << rank);
      int shrinkMask = 0;
      for (int a = 0; a < rank; a++) {
        begin.add(rnd.nextInt(2 * dims[a] + 5) - dims[a] - 2);
        end.add(rnd.nextInt(2 * dims[a] + 5) - dims[a] - 2);
        int s = 1 + rnd.nextInt(3);
        strides.add(rnd.nextBoolean() ? s : -s);
        if (rnd.nextInt(5) == 0 && begin.get(a) >= -dims[a] && begin.get(a) < dims[a]) {
          shrinkMask |= 1 << a;
          strides.set(a, 1);
          beginMask &= ~(1 << a);
        }
      }
      Op.StridedSlice op = new Op.StridedSlice(begin, end, strides, beginMask, endMask, 0, 0,
          shrinkMask, false);
      List<int[]> picks = new ArrayList<>();
      List<Integer> outDims = new ArrayList<>();
      for (int a = 0; a < rank; a++) {
        int[] p = pythonSlice(dims[a], begin.get(a), end.get(a), strides.get(a),
            (beginMask >> a & 1) != 0, (endMask >> a & 1) != 0, (shrinkMask >> a & 1) != 0);
        picks.add(p);
        if ((shrinkMask >> a & 1) == 0) {
          outDims.add(p.length);
        }
      }
      Shape outShape = Shape.of(outDims.stream().mapToInt(Integer::intValue).toArray());
      TensorType in = TensorType.of(DType.INT32, dims);
      String what = "trial " + trial + ": " + Arrays.toString(dims) + " " + op;
      assertThat(ShapeInference.infer(op, List.of(in))).as(what).isEqualTo(outShape);
      Tensor r = run(op, TensorType.of(DType.INT32, outShape.dims()), List.of(in),
          ints(in, iota(Shape.of(dims).elements())));
      assertThat(r.ints).as(what).containsExactly(naiveGather(dims, picks));
    }
  }

  /** Python's slice(begin, end, stride).indices(size), with TFLite's masks and shrink. */
  private static int[] pythonSlice(int size, int b, int e, int s, boolean bm, boolean em,
      boolean shrink) {
    if (shrink) {
      return new int[] {b < 0 ? b + size : b};
    }
    int lo = s > 0 ? 0 : -1;
    int hi = s > 0 ? size : size - 1;
    int start = bm ? (s > 0 ? 0 : size - 1) : Math.max(lo, Math.min(hi, b < 0 ? b + size : b));
    int stop = em ? (s > 0 ? size : -1) : Math.max(lo, Math.min(hi, e < 0 ? e + size : e));
    List<Integer> out = new ArrayList<>();
    for (int i = start; s > 0 ? i < stop : i > stop; i += s) {
      out.add(i);
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int[] naiveGather(int[] dims, List<int[]> picks) {
    List<Integer> out = new ArrayList<>();
    gatherRec(dims, picks, 0, 0, out);
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private static void gatherRec(int[] dims, List<int[]> picks, int axis, int flat,
      List<Integer> out) {
    if (axis == dims.length) {
      out.add(flat);
      return;
    }
    for (int p : picks.get(axis)) {
      gatherRec(dims, picks, axis + 1, flat * dims[axis] + p, out);
    }
  }

  @Test
  void randomizedTransposesMatchNaivePermutation() {
    Random rnd = new Random(13);
    for (int trial = 0; trial < 100; trial++) {
      int rank = 1 + rnd.nextInt(6);
      int[] dims = new int[rank];
      for (int a = 0; a < rank; a++) {
        dims[a] = 1 + rnd.nextInt(3);
      }
      List<Integer> perm = new ArrayList<>();
      for (int a = 0; a < rank; a++) {
        perm.add(a);
      }
      java.util.Collections.shuffle(perm, rnd);
      int[] outDims = new int[rank];
      for (int a = 0; a < rank; a++) {
        outDims[a] = dims[perm.get(a)];
      }
      TensorType in = f32(dims);
      float[] x = new float[Shape.of(dims).elements()];
      for (int i = 0; i < x.length; i++) {
        x[i] = i;
      }
      Tensor r = run(new Op.Transpose(perm), f32(outDims), List.of(in), floats(in, x));
      int[] inStrides = Shape.of(dims).strides();
      int[] idx = new int[rank];
      for (int k = 0; k < x.length; k++) {
        int src = 0;
        for (int a = 0; a < rank; a++) {
          src += idx[a] * inStrides[perm.get(a)];
        }
        assertThat(r.floats[k]).as("trial %d perm %s", trial, perm).isEqualTo(x[src]);
        for (int a = rank - 1; a >= 0 && ++idx[a] == outDims[a]; a--) {
          idx[a] = 0;
        }
      }
    }
  }

  @Test
  void concatenationAlongEachAxis() {
    TensorType a = q(DType.INT16, 0.5, 0, 2, 2);
    TensorType b = q(DType.INT16, 0.25, 0, 2, 1);
    Tensor r = run(new Op.Concatenation(1, Op.Activation.NONE), q(DType.INT16, 0.5, 0, 2, 3),
        List.of(a, b), ints(a, 1, 2, 3, 4), ints(b, 9, 8));
    // TFLM copies int16 data unchanged even when scales differ.
    assertThat(r.ints).containsExactly(1, 2, 9, 3, 4, 8);
    TensorType c = f32(1, 2);
    assertThat(run(new Op.Concatenation(0, Op.Activation.NONE), f32(2, 2), List.of(c, c),
        floats(c, 1f, 2f), floats(c, 3f, 4f)).floats).containsExactly(1f, 2f, 3f, 4f);
  }

  @Test
  void unsupportedCasesAreUserErrors() {
    TensorType a = q(DType.INT8, 0.5, 0, 2);
    TensorType b = q(DType.INT8, 0.25, 0, 2);
    assertThatThrownBy(() -> run(new Op.Concatenation(0, Op.Activation.NONE),
        q(DType.INT8, 0.5, 0, 4), List.of(a, b), ints(a, 1, 2), ints(b, 3, 4)))
        .isInstanceOf(KilnException.class).hasMessageContaining("does not rescale");
    assertThatThrownBy(() -> run(new Op.Concatenation(0, Op.Activation.RELU),
        q(DType.INT8, 0.5, 0, 4), List.of(a, a), ints(a, 1, 2), ints(a, 3, 4)))
        .isInstanceOf(KilnException.class).hasMessageContaining("RELU");
    TensorType in = TensorType.of(DType.INT32, 4);
    assertThatThrownBy(() -> ShapeInference.infer(new Op.StridedSlice(List.of(7), List.of(8),
        List.of(1), 0, 0, 0, 0, 1, false), List.of(in)))
        .isInstanceOf(KilnException.class).hasMessageContaining("shrunk axis 0");
  }
}
