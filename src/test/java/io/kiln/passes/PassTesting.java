package io.kiln.passes;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import io.kiln.testing.Golden;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Runs one pass on a small graph the way every pass test does: verify before and after, compare
 * the canonical text with a golden file, and compare interpreter outputs on seeded random inputs.
 */
final class PassTesting {
  static final int SEEDS = 5;

  private PassTesting() {}

  /** How outputs before and after a pass must agree. */
  enum Agreement { EXACT, FLOAT_TOLERANCE, ONE_STEP }

  /** The pass must change {@code g}; returns the result after all checks. */
  static Graph positive(String golden, Pass pass, Graph g, Agreement agreement) {
    PassLog log = new PassLog();
    Graph after = runChecked(pass, g, log);
    assertThat(after).as("pass %s should change the graph", pass.name()).isNotSameAs(g);
    assertThat(log.applied()).isNotEmpty();
    Golden.assertMatches("passes/" + golden + ".txt", text(pass, g, after, log));
    compareOutputs(g, after, agreement);
    return after;
  }

  /** The pass must leave {@code g} alone (the very same instance) and say why in its log. */
  static PassLog negative(String golden, Pass pass, Graph g) {
    PassLog log = new PassLog();
    Graph after = runChecked(pass, g, log);
    assertThat(after).as("pass %s should not change the graph", pass.name()).isSameAs(g);
    assertThat(log.applied()).isEmpty();
    Golden.assertMatches("passes/" + golden + ".txt", text(pass, g, after, log));
    return log;
  }

  static Graph runChecked(Pass pass, Graph g, PassLog log) {
    Verifier.verify(g);
    Graph after = pass.run(g, log);
    assertThat(Verifier.check(after)).as("verifier after %s", pass.name()).isEmpty();
    return after;
  }

  static String text(Pass pass, Graph before, Graph after, PassLog log) {
    StringBuilder sb = new StringBuilder("# before\n").append(GraphPrinter.print(before));
    sb.append("# after ").append(pass.name()).append('\n');
    sb.append(after == before ? "(unchanged)\n" : GraphPrinter.print(after));
    sb.append("# log\n");
    for (PassLog.Entry e : log.entries()) {
      sb.append(e).append('\n');
    }
    return sb.toString();
  }

  /** Interpreter outputs of both graphs on {@link #SEEDS} seeded random inputs. */
  static void compareOutputs(Graph before, Graph after, Agreement agreement) {
    Interpreter a = new Interpreter(before);
    Interpreter b = new Interpreter(after);
    for (int seed = 0; seed < SEEDS; seed++) {
      List<Tensor> ins = randomInputs(before, seed);
      List<Tensor> x = a.run(ins);
      List<Tensor> y = b.run(ins);
      assertThat(y).hasSameSizeAs(x);
      for (int o = 0; o < x.size(); o++) {
        assertAgree(x.get(o), y.get(o), agreement, "seed " + seed + " output " + o);
      }
    }
  }

  static void assertAgree(Tensor x, Tensor y, Agreement agreement, String what) {
    assertThat(y.dtype).as(what).isEqualTo(x.dtype);
    assertThat(y.shape).as(what).isEqualTo(x.shape);
    switch (agreement) {
      case EXACT -> assertThat(y.toBytes()).as(what).isEqualTo(x.toBytes());
      case FLOAT_TOLERANCE -> {
        for (int i = 0; i < x.elements(); i++) {
          double d = Math.abs(x.floats[i] - y.floats[i]);
          assertThat(d).as("%s element %d: %s vs %s", what, i, x.floats[i], y.floats[i])
              .isLessThanOrEqualTo(1e-5 * Math.max(1, Math.abs(x.floats[i])));
        }
      }
      case ONE_STEP -> {
        for (int i = 0; i < x.elements(); i++) {
          assertThat(Math.abs(x.ints[i] - y.ints[i])).as("%s element %d", what, i)
              .isLessThanOrEqualTo(1);
        }
      }
    }
  }

  /** Integers over the dtype's whole range, floats in [-2, 2). */
  static List<Tensor> randomInputs(Graph g, long seed) {
    SplittableRandom rng = new SplittableRandom(seed * 7919 + 17);
    List<Tensor> out = new ArrayList<>();
    for (Value v : g.inputValues()) {
      int n = v.type().elements();
      if (v.dtype() == DType.FLOAT32) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = (float) (rng.nextDouble() * 4 - 2);
        }
        out.add(Tensor.ofFloats(v.shape(), f));
      } else {
        int[] q = new int[n];
        for (int i = 0; i < n; i++) {
          q[i] = (int) (v.dtype().min() + rng.nextLong(v.dtype().max() - v.dtype().min() + 1));
        }
        out.add(Tensor.ofInts(v.dtype(), v.shape(), q));
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ small graph helpers

  static TensorType f32(int... dims) {
    return TensorType.of(DType.FLOAT32, dims);
  }

  static TensorType i8(double scale, long zp, int... dims) {
    return TensorType.quantized(DType.INT8, Shape.of(dims), scale, zp);
  }

  static ConstData floats(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return ConstData.ofFloats(f);
  }

  static ConstData int8s(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    int[] q = new int[n];
    for (int i = 0; i < n; i++) {
      q[i] = rng.nextInt(-127, 128);
    }
    return ConstData.ofInts(DType.INT8, q);
  }

  static ConstData int32s(long seed, int n, int bound) {
    SplittableRandom rng = new SplittableRandom(seed);
    int[] q = new int[n];
    for (int i = 0; i < n; i++) {
      q[i] = rng.nextInt(-bound, bound);
    }
    return ConstData.ofInts(DType.INT32, q);
  }

  /** Per-channel symmetric weight quantization along {@code axis} with scales around 0.01. */
  static Quantization perAxis(int axis, int channels) {
    float[] s = new float[channels];
    for (int c = 0; c < channels; c++) {
      s[c] = 0.01f * (1 + c % 3);
    }
    return new Quantization.PerAxis(axis, s, new long[channels]);
  }
}
