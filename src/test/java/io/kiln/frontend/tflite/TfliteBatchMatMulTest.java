package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tensorflow.lite.schema.TensorType.FLOAT32;
import static org.tensorflow.lite.schema.TensorType.INT8;

import io.kiln.codegen.CodegenParity;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Shape;
import io.kiln.quant.FixedPoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.schema.BatchMatMulOptions;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.BuiltinOptions;

/**
 * BATCH_MATMUL in float and int8 with adj_x, adj_y and broadcast batches: the interpreter against
 * sums written out from the definition (int8: TFLM's zero-point offsets, its multiplier from the
 * float product of the operand scales, MultiplyByQuantizedMultiplier, the int8 clamp), and
 * generated C equal to the interpreter under ASan and UBSan.
 */
class TfliteBatchMatMulTest {
  @TempDir
  Path tmp;

  private static Graph model(byte type, int[] a, int[] b, int[] out, boolean adjX, boolean adjY,
      float[] scales, long[] zps) {
    TinyTflite m = new TinyTflite();
    boolean q = type != FLOAT32;
    int x = m.tensor("lhs", type, a, q ? scales[0] : 0, q ? zps[0] : 0);
    int y = m.tensor("rhs", type, b, q ? scales[1] : 0, q ? zps[1] : 0);
    int z = m.tensor("out", type, out, q ? scales[2] : 0, q ? zps[2] : 0);
    m.op(BuiltinOperator.BATCH_MATMUL, new int[] {x, y}, new int[] {z},
        BuiltinOptions.BatchMatMulOptions,
        f -> BatchMatMulOptions.createBatchMatMulOptions(f, adjX, adjY, false))
        .io(new int[] {x, y}, new int[] {z});
    return TfliteImporter.load(m.build(), "bmm_" + type + (adjX ? "_ax" : "") + (adjY ? "_ay" : "")
        + "_" + a.length + "x" + b.length);
  }

  /** lhs[2,3] = 1..6 by rhs[3,2] = 1..6 is {22, 28, 49, 64}; the same with both transposed. */
  @Test
  void floatMatchesTheDefinition() throws IOException {
    Graph g = model(FLOAT32, new int[] {2, 3}, new int[] {3, 2}, new int[] {2, 2}, false, false,
        null, null);
    float[] six = {1, 2, 3, 4, 5, 6};
    List<Tensor> ins = List.of(Tensor.ofFloats(Shape.of(2, 3), six),
        Tensor.ofFloats(Shape.of(3, 2), six));
    assertThat(new Interpreter(g).run(ins).get(0).floats).containsExactly(22, 28, 49, 64);
    // adj_x: lhs given as [3,2] (its transpose), adj_y: rhs given as [2,3].
    Graph t = model(FLOAT32, new int[] {3, 2}, new int[] {2, 3}, new int[] {2, 2}, true, true,
        null, null);
    List<Tensor> tins = List.of(Tensor.ofFloats(Shape.of(3, 2), new float[] {1, 4, 2, 5, 3, 6}),
        Tensor.ofFloats(Shape.of(2, 3), new float[] {1, 3, 5, 2, 4, 6}));
    assertThat(new Interpreter(t).run(tins).get(0).floats).containsExactly(22, 28, 49, 64);
    CodegenParity.assertMatchesInterpreter(t, tmp.resolve(t.name()), 3);
    // Broadcast: lhs [2,1,3,4] against rhs [3,4,5].
    Graph bc = model(FLOAT32, new int[] {2, 1, 3, 4}, new int[] {3, 4, 5},
        new int[] {2, 3, 3, 5}, false, false, null, null);
    CodegenParity.assertMatchesInterpreter(bc, tmp.resolve(bc.name()), 4);
  }

  @Test
  void int8MatchesTflmArithmetic() throws IOException {
    float[] scales = {0.05f, 0.02f, 0.07f};
    long[] zps = {3, -5, -10};
    int[][][] shapes = {
        {{2, 3, 7}, {2, 7, 4}, {2, 3, 4}},
        {{1, 7, 3}, {2, 4, 7}, {2, 3, 4}}};
    boolean[][] adj = {{false, false}, {true, true}};
    SplittableRandom rng = new SplittableRandom(11);
    for (int c = 0; c < 2; c++) {
      boolean ax = adj[c][0];
      boolean ay = adj[c][1];
      int[] as = shapes[c][0];
      int[] bs = shapes[c][1];
      Graph g = model(INT8, as, bs, shapes[c][2], ax, ay, scales, zps);
      int[] a = random(rng, Shape.of(as).elements());
      int[] b = random(rng, Shape.of(bs).elements());
      int[] got = new Interpreter(g).run(List.of(Tensor.ofInts(DType.INT8, Shape.of(as), a),
          Tensor.ofInts(DType.INT8, Shape.of(bs), b))).get(0).ints;
      FixedPoint.QuantizedMultiplier q = FixedPoint.quantizeMultiplier(
          (double) (scales[0] * scales[1]) / scales[2]);
      int depth = 7;
      for (int bt = 0; bt < 2; bt++) {
        for (int i = 0; i < 3; i++) {
          for (int j = 0; j < 4; j++) {
            int total = 0;
            for (int k = 0; k < depth; k++) {
              int av = ax ? a[(as[0] == 1 ? 0 : bt) * 21 + k * 3 + i] : a[bt * 21 + i * 7 + k];
              int bv = ay ? b[bt * 28 + j * 7 + k] : b[bt * 28 + k * 4 + j];
              total += (av - 3) * (bv + 5);
            }
            int want = FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(total,
                q.multiplier(), q.shift()) - 10, -128, 127);
            assertThat(got[(bt * 3 + i) * 4 + j]).as("case %d [%d,%d,%d]", c, bt, i, j)
                .isEqualTo(want);
          }
        }
      }
      CodegenParity.assertMatchesInterpreter(g, tmp.resolve(g.name()), 30 + c);
    }
  }

  /**
   * int16 (zero points 0): int64 sums and TFLite's int64 MultiplyByQuantizedMultiplier (16-bit
   * multiplier, one rounding shift), clamped to int16.
   */
  @Test
  void int16MatchesTflmArithmetic() throws IOException {
    float[] scales = {0.0005f, 0.0002f, 0.001f};
    long[] zps = {0, 0, 0};
    Graph g = model(org.tensorflow.lite.schema.TensorType.INT16, new int[] {2, 3, 5},
        new int[] {2, 5, 4}, new int[] {2, 3, 4}, false, false, scales, zps);
    SplittableRandom rng = new SplittableRandom(12);
    int[] a = new int[30];
    int[] b = new int[40];
    for (int i = 0; i < a.length; i++) {
      a[i] = rng.nextInt(-32768, 32768);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = rng.nextInt(-32768, 32768);
    }
    int[] got = new Interpreter(g).run(List.of(Tensor.ofInts(DType.INT16, Shape.of(2, 3, 5), a),
        Tensor.ofInts(DType.INT16, Shape.of(2, 5, 4), b))).get(0).ints;
    FixedPoint.QuantizedMultiplier q = FixedPoint.quantizeMultiplier(
        (double) (scales[0] * scales[1]) / scales[2]);
    for (int bt = 0; bt < 2; bt++) {
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) {
          long total = 0;
          for (int k = 0; k < 5; k++) {
            total += (long) a[bt * 15 + i * 5 + k] * b[bt * 20 + k * 4 + j];
          }
          int want = FixedPoint.clamp(FixedPoint.multiplyByQuantizedMultiplier(total,
              q.multiplier(), q.shift()), -32768, 32767);
          assertThat(got[(bt * 3 + i) * 4 + j]).isEqualTo(want);
        }
      }
    }
    CodegenParity.assertMatchesInterpreter(g, tmp.resolve(g.name()), 40);
  }

  private static int[] random(SplittableRandom rng, int n) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = rng.nextInt(-128, 128);
    }
    return v;
  }
}
