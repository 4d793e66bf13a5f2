package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tensorflow.lite.schema.TensorType.FLOAT32;
import static org.tensorflow.lite.schema.TensorType.INT32;
import static org.tensorflow.lite.schema.TensorType.INT8;

import io.kiln.KilnException;
import io.kiln.codegen.CodegenParity;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.passes.Pipeline;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.GatherOptions;
import org.tensorflow.lite.schema.ShapeOptions;

/**
 * TFLite SHAPE and GATHER: imported, run by the interpreter against values TFLM's copy loops
 * give, and compiled to C that equals the interpreter under ASan and UBSan.
 */
class TfliteIndexOpsTest {
  @TempDir
  Path tmp;

  @Test
  void shapeRunsAndFoldsToAConstant() throws IOException {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {2, 5, 3}, 0.5f, 0);
    int s = m.tensor("s", INT32, 3);
    m.op(BuiltinOperator.SHAPE, new int[] {x}, new int[] {s}, BuiltinOptions.ShapeOptions,
        f -> ShapeOptions.createShapeOptions(f, INT32)).io(new int[] {x}, new int[] {s});
    Graph g = TfliteImporter.load(m.build(), "shape");
    assertThat(g.nodes().get(0).op()).isEqualTo(new Op.ShapeOf());
    assertThat(new Interpreter(g).run(List.of(Tensor.zeros(DType.INT8, Shape.of(2, 5, 3))))
        .get(0).ints).containsExactly(2, 5, 3);
    CodegenParity.assertMatchesInterpreter(g, tmp.resolve("shape"), 1);
    Graph folded = Pipeline.DEFAULT.apply(g);
    assertThat(folded.nodes()).isEmpty();
    assertThat(folded.value(folded.outputs().get(0)).data().asInts(DType.INT32))
        .containsExactly(2, 5, 3);
  }

  /** x[3,4] int8 = 0..11; rows {2, 0, 2} (axis 0) and columns {3, 1} (axis 1) with -1 = 3. */
  @Test
  void gatherWithConstantAndRuntimeIndices() throws IOException {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {3, 4}, 0.1f, 0);
    int rows = m.ints("rows", new int[] {3}, 2, 0, 2);
    int cols = m.tensor("cols", INT32, 2);
    int r = m.tensor("r", INT8, new int[] {3, 4}, 0.1f, 0);
    int c = m.tensor("c", INT8, new int[] {3, 2}, 0.1f, 0);
    m.op(BuiltinOperator.GATHER, new int[] {x, rows}, new int[] {r}, BuiltinOptions.GatherOptions,
        f -> GatherOptions.createGatherOptions(f, 0, 0))
        .op(BuiltinOperator.GATHER, new int[] {x, cols}, new int[] {c},
            BuiltinOptions.GatherOptions, f -> GatherOptions.createGatherOptions(f, -1, 0))
        .io(new int[] {x, cols}, new int[] {r, c});
    Graph g = TfliteImporter.load(m.build(), "gather");
    int[] in = new int[12];
    for (int i = 0; i < 12; i++) {
      in[i] = i;
    }
    List<Tensor> out = new Interpreter(g).run(List.of(
        Tensor.ofInts(DType.INT8, Shape.of(3, 4), in),
        Tensor.ofInts(DType.INT32, Shape.of(2), new int[] {3, 1})));
    assertThat(out.get(0).ints).containsExactly(8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
    assertThat(out.get(1).ints).containsExactly(3, 1, 7, 5, 11, 9);
    assertThatThrownBy(() -> new Interpreter(g).run(List.of(
        Tensor.ofInts(DType.INT8, Shape.of(3, 4), in),
        Tensor.ofInts(DType.INT32, Shape.of(2), new int[] {4, 0}))))
        .isInstanceOf(KilnException.class).hasMessageContaining("index 4 is outside [-4, 4)");

    // Runtime indices within [-4, 4), negative ones counting from the end.
    List<byte[]> inputs = CodegenParity.randomInputs(g, 4);
    ByteBuffer idx = ByteBuffer.allocate(2 * 4 * CodegenParity.BATCH)
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int v : new int[] {3, -1, 0, -4, 2, 1}) {
      idx.putInt(v);
    }
    CodegenParity.assertMatchesInterpreter(g, tmp.resolve("gather"),
        List.of(inputs.get(0), idx.array()));
  }

  /** TFLM's batch_dims: x[2,3,2] float, indices[2,2], batch_dims 1 and axis 1. */
  @Test
  void gatherWithBatchDims() throws IOException {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 2, 3, 2);
    int idx = m.ints("idx", new int[] {2, 2}, 2, 0, 1, 1);
    int y = m.tensor("y", FLOAT32, 2, 2, 2);
    m.op(BuiltinOperator.GATHER, new int[] {x, idx}, new int[] {y}, BuiltinOptions.GatherOptions,
        f -> GatherOptions.createGatherOptions(f, 1, 1)).io(new int[] {x}, new int[] {y});
    Graph g = TfliteImporter.load(m.build(), "gather_batch");
    float[] in = new float[12];
    for (int i = 0; i < 12; i++) {
      in[i] = i;
    }
    // Batch 0 takes rows 2 and 0 of x[0]; batch 1 takes row 1 of x[1] twice.
    assertThat(new Interpreter(g).run(List.of(Tensor.ofFloats(Shape.of(2, 3, 2), in))).get(0)
        .floats).containsExactly(4, 5, 0, 1, 8, 9, 8, 9);
    CodegenParity.assertMatchesInterpreter(g, tmp.resolve("gather_batch"), 9);
  }

  @Test
  void constantIndexOutsideTheAxisIsRefusedByCompile() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 2, 3);
    int idx = m.ints("idx", new int[] {2}, 1, 2);
    int y = m.tensor("y", FLOAT32, 2, 3);
    m.op(BuiltinOperator.GATHER, new int[] {x, idx}, new int[] {y}, BuiltinOptions.GatherOptions,
        f -> GatherOptions.createGatherOptions(f, 0, 0)).io(new int[] {x}, new int[] {y});
    Graph g = TfliteImporter.load(m.build(), "gather");
    assertThatThrownBy(() -> io.kiln.codegen.cpu.CpuCodegen.emit(g,
        io.kiln.codegen.CodegenOptions.defaults())).isInstanceOf(KilnException.class)
        .hasMessage("Gather 'y': index 2 is outside [-2, 2)");
    assertThatThrownBy(() -> new Interpreter(g).run(List.of(Tensor.zeros(DType.FLOAT32,
        Shape.of(2, 3))))).isInstanceOf(KilnException.class)
        .hasMessageContaining("index 2 is outside [-2, 2)");
  }

  @Test
  void gatherAxisOutsideTheInputIsRefused() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 2, 3);
    int idx = m.ints("idx", new int[] {1}, 0);
    int y = m.tensor("y", FLOAT32, 2, 1);
    m.op(BuiltinOperator.GATHER, new int[] {x, idx}, new int[] {y}, BuiltinOptions.GatherOptions,
        f -> GatherOptions.createGatherOptions(f, 2, 0)).io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "gather"))
        .isInstanceOf(KilnException.class).hasMessageContaining("axis 2 and batch_dims 0");
  }
}
