package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tensorflow.lite.schema.TensorType.FLOAT32;
import static org.tensorflow.lite.schema.TensorType.INT8;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.HardSwishRequant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.lite.schema.BuiltinOperator;

/** TFLite's HARD_SWISH (8-bit), PRELU, EXPAND_DIMS and SQUEEZE on import, and what they compute. */
class TfliteShapeAndActivationOpsTest {
  @Test
  void int8HardSwishImportsAndRunsTflitesArithmetic() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 256}, 0.05f, 7);
    int y = m.tensor("y", INT8, new int[] {1, 256}, 0.03f, -20);
    m.op(BuiltinOperator.HARD_SWISH, new int[] {x}, new int[] {y})
        .io(new int[] {x}, new int[] {y});
    Graph g = TfliteImporter.load(m.build(), "hs");
    assertThat(g.nodes().get(0).op()).isEqualTo(new Op.HardSwish());
    int[] in = new int[256];
    for (int i = 0; i < 256; i++) {
      in[i] = i - 128;
    }
    int[] out = new Interpreter(g).run(List.of(Tensor.ofInts(io.kiln.ir.DType.INT8,
        Shape.of(1, 256), in))).get(0).ints;
    HardSwishRequant p = HardSwishRequant.of(0.05f, 7, 0.03f, -20, -128, 127, "hs");
    for (int i = 0; i < 256; i++) {
      assertThat(out[i]).as("x=%d", in[i]).isEqualTo(p.apply(in[i]));
    }
  }

  @Test
  void floatHardSwishIsRefusedRatherThanRoundedDifferently() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 1, 4);
    int y = m.tensor("y", FLOAT32, 1, 4);
    m.op(BuiltinOperator.HARD_SWISH, new int[] {x}, new int[] {y})
        .io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "hs"))
        .isInstanceOf(KilnException.class).hasMessageContaining("HARD_SWISH on f32");
  }

  @Test
  void expandDimsAndSqueezeAreReshapes() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {2, 3}, 0.5f, 1);
    int axis = m.ints("axis", new int[] {1}, 1);
    int e = m.tensor("e", INT8, new int[] {2, 1, 3}, 0.5f, 1);
    int s = m.tensor("s", INT8, new int[] {2, 3}, 0.5f, 1);
    m.op(BuiltinOperator.EXPAND_DIMS, new int[] {x, axis}, new int[] {e})
        .op(BuiltinOperator.SQUEEZE, new int[] {e}, new int[] {s})
        .io(new int[] {x}, new int[] {s});
    Graph g = TfliteImporter.load(m.build(), "shapes");
    assertThat(g.nodes()).extracting(n -> n.op()).containsExactly(
        new Op.Reshape(Shape.of(2, 1, 3)), new Op.Reshape(Shape.of(2, 3)));
    int[] in = {1, -2, 3, -4, 5, -6};
    assertThat(new Interpreter(g).run(List.of(Tensor.ofInts(io.kiln.ir.DType.INT8,
        Shape.of(2, 3), in))).get(0).ints).containsExactly(in);
  }

  @Test
  void int8PreluImportsWithItsPerChannelAlpha() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 2, 3}, 0.05f, 3);
    int a = m.constant("alpha", INT8, new int[] {1, 1, 3}, 0.01f, -7, new byte[] {-100, 0, 60});
    int y = m.tensor("y", INT8, new int[] {1, 2, 3}, 0.04f, 5);
    m.op(BuiltinOperator.PRELU, new int[] {x, a}, new int[] {y}).io(new int[] {x}, new int[] {y});
    Graph g = TfliteImporter.load(m.build(), "prelu");
    assertThat(g.nodes().get(0).op()).isEqualTo(new Op.PRelu());
    int[] in = {-50, -10, 3, 40, -128, 127};
    int[] out = new Interpreter(g).run(List.of(Tensor.ofInts(io.kiln.ir.DType.INT8,
        Shape.of(1, 2, 3), in))).get(0).ints;
    io.kiln.quant.PreluRequant p = io.kiln.quant.PreluRequant.of(0.05f, 3, 0.01f, -7, 0.04f, 5,
        -128, 127);
    int[] alpha = {-100, 0, 60};
    for (int i = 0; i < in.length; i++) {
      assertThat(out[i]).as("x=%d", in[i]).isEqualTo(p.apply(in[i], alpha[i % 3]));
    }
  }
}
