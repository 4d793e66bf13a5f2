package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tensorflow.lite.schema.TensorType.FLOAT32;
import static org.tensorflow.lite.schema.TensorType.INT8;

import io.kiln.KilnException;
import io.kiln.codegen.CodegenParity;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.PackOptions;
import org.tensorflow.lite.schema.SplitOptions;
import org.tensorflow.lite.schema.SplitVOptions;
import org.tensorflow.lite.schema.UnpackOptions;

/**
 * TFLite's PACK, UNPACK, SPLIT and SPLIT_V, which TFLM's kernels implement as plain copies: on
 * import they become Reshape, Concatenation and StridedSlice; the interpreter gives the values an
 * index computation of the TFLM copy loops predicts, and the generated C (ASan, UBSan) equals the
 * interpreter.
 */
class TfliteSplitPackTest {
  @TempDir
  Path tmp;

  /** x[2,3] int8 = 0..5: pack(x, x+6) at axis 0, 1 and -1 (the new last axis). */
  @Test
  void packAlongEachAxis() throws IOException {
    int[][] expected = {
        {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15},
        {0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15},
        {0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}};
    int[][] shapes = {{2, 2, 3}, {2, 2, 3}, {2, 3, 2}};
    int[] axes = {0, 1, -1};
    for (int k = 0; k < 3; k++) {
      TinyTflite m = new TinyTflite();
      int a = m.tensor("a", INT8, new int[] {2, 3}, 0.5f, 1);
      int b = m.tensor("b", INT8, new int[] {2, 3}, 0.5f, 1);
      int y = m.tensor("y", INT8, shapes[k], 0.5f, 1);
      int axis = axes[k];
      m.op(BuiltinOperator.PACK, new int[] {a, b}, new int[] {y}, BuiltinOptions.PackOptions,
          f -> PackOptions.createPackOptions(f, 2, axis)).io(new int[] {a, b}, new int[] {y});
      Graph g = TfliteImporter.load(m.build(), "pack" + k);
      List<Tensor> out = new Interpreter(g).run(List.of(
          Tensor.ofInts(DType.INT8, Shape.of(2, 3), new int[] {0, 1, 2, 3, 4, 5}),
          Tensor.ofInts(DType.INT8, Shape.of(2, 3), new int[] {10, 11, 12, 13, 14, 15})));
      assertThat(out.get(0).shape).isEqualTo(Shape.of(shapes[k]));
      assertThat(out.get(0).ints).as("axis %d", axis).containsExactly(expected[k]);
      CodegenParity.assertMatchesInterpreter(g, tmp.resolve("pack" + k), 21 + k);
    }
  }

  /** x[2,3,2] float unpacked along axis 1 into three [2,2] outputs. */
  @Test
  void unpack() throws IOException {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 2, 3, 2);
    int[] outs = {m.tensor("u0", FLOAT32, 2, 2), m.tensor("u1", FLOAT32, 2, 2),
        m.tensor("u2", FLOAT32, 2, 2)};
    m.op(BuiltinOperator.UNPACK, new int[] {x}, outs, BuiltinOptions.UnpackOptions,
        f -> UnpackOptions.createUnpackOptions(f, 3, 1)).io(new int[] {x}, outs);
    Graph g = TfliteImporter.load(m.build(), "unpack");
    float[] in = new float[12];
    for (int i = 0; i < 12; i++) {
      in[i] = i;
    }
    List<Tensor> out = new Interpreter(g).run(List.of(Tensor.ofFloats(Shape.of(2, 3, 2), in)));
    // out_k[i][j] = x[i][k][j], x[i][k][j] = 6i + 2k + j.
    for (int k = 0; k < 3; k++) {
      assertThat(out.get(k).floats).containsExactly(2 * k, 2 * k + 1, 6 + 2 * k, 7 + 2 * k);
    }
    CodegenParity.assertMatchesInterpreter(g, tmp.resolve("unpack"), 5);
  }

  /** SPLIT of [2,6] into 3 along axis -1, SPLIT_V of the same into sizes {1, -1, 2}. */
  @Test
  void splitAndSplitV() throws IOException {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {2, 6}, 0.1f, -3);
    int axis = m.ints("axis", new int[] {}, -1);
    int[] eq = {m.tensor("s0", INT8, new int[] {2, 2}, 0.1f, -3),
        m.tensor("s1", INT8, new int[] {2, 2}, 0.1f, -3),
        m.tensor("s2", INT8, new int[] {2, 2}, 0.1f, -3)};
    int sizes = m.ints("sizes", new int[] {3}, 1, -1, 2);
    int[] v = {m.tensor("v0", INT8, new int[] {2, 1}, 0.1f, -3),
        m.tensor("v1", INT8, new int[] {2, 3}, 0.1f, -3),
        m.tensor("v2", INT8, new int[] {2, 2}, 0.1f, -3)};
    m.op(BuiltinOperator.SPLIT, new int[] {axis, x}, eq, BuiltinOptions.SplitOptions,
        f -> SplitOptions.createSplitOptions(f, 3))
        .op(BuiltinOperator.SPLIT_V, new int[] {x, sizes, axis}, v, BuiltinOptions.SplitVOptions,
            f -> SplitVOptions.createSplitVOptions(f, 3))
        .io(new int[] {x}, new int[] {eq[0], eq[1], eq[2], v[0], v[1], v[2]});
    Graph g = TfliteImporter.load(m.build(), "split");
    int[] in = {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15};
    List<Tensor> out = new Interpreter(g).run(List.of(Tensor.ofInts(DType.INT8, Shape.of(2, 6),
        in)));
    assertThat(out.get(0).ints).containsExactly(0, 1, 10, 11);
    assertThat(out.get(1).ints).containsExactly(2, 3, 12, 13);
    assertThat(out.get(2).ints).containsExactly(4, 5, 14, 15);
    assertThat(out.get(3).ints).containsExactly(0, 10);
    assertThat(out.get(4).ints).containsExactly(1, 2, 3, 11, 12, 13);
    assertThat(out.get(5).ints).containsExactly(4, 5, 14, 15);
    CodegenParity.assertMatchesInterpreter(g, tmp.resolve("split"), 8);
  }

  @Test
  void rescalingOrInconsistentSplitsAreRefusedInOneLine() {
    TinyTflite m = new TinyTflite();
    int a = m.tensor("a", INT8, new int[] {2}, 0.5f, 1);
    int b = m.tensor("b", INT8, new int[] {2}, 0.25f, 1);
    int y = m.tensor("y", INT8, new int[] {2, 2}, 0.5f, 1);
    m.op(BuiltinOperator.PACK, new int[] {a, b}, new int[] {y}, BuiltinOptions.PackOptions,
        f -> PackOptions.createPackOptions(f, 2, 0)).io(new int[] {a, b}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "pack"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("copies the values without rescaling").hasMessageNotContaining("\n");

    TinyTflite s = new TinyTflite();
    int x = s.tensor("x", INT8, new int[] {2, 5}, 0.1f, 0);
    int axis = s.ints("axis", new int[] {}, 1);
    int[] outs = {s.tensor("o0", INT8, new int[] {2, 2}, 0.1f, 0),
        s.tensor("o1", INT8, new int[] {2, 2}, 0.1f, 0)};
    s.op(BuiltinOperator.SPLIT, new int[] {axis, x}, outs, BuiltinOptions.SplitOptions,
        f -> SplitOptions.createSplitOptions(f, 2)).io(new int[] {x}, outs);
    assertThatThrownBy(() -> TfliteImporter.load(s.build(), "split"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("cannot split [2,5] along axis 1 into 2 equal parts");
  }
}
