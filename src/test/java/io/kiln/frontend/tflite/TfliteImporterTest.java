package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tensorflow.lite.schema.TensorType.FLOAT32;
import static org.tensorflow.lite.schema.TensorType.INT16;
import static org.tensorflow.lite.schema.TensorType.INT32;
import static org.tensorflow.lite.schema.TensorType.UINT16;
import static org.tensorflow.lite.schema.TensorType.INT8;
import static org.tensorflow.lite.schema.TensorType.UINT32;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.ConcatenationOptions;
import org.tensorflow.lite.schema.Conv2DOptions;
import org.tensorflow.lite.schema.Padding;
import org.tensorflow.lite.schema.Pool2DOptions;
import org.tensorflow.lite.schema.ReducerOptions;
import org.tensorflow.lite.schema.StridedSliceOptions;
import org.tensorflow.lite.schema.TransposeOptions;

/** Importer behaviour on small hand-built models: each operator mapping and each clear error. */
class TfliteImporterTest {

  private static Node onlyNode(Graph g) {
    assertThat(g.nodes()).hasSize(1);
    return g.nodes().get(0);
  }

  @Test
  void transposeTakesItsPermutationFromAConstant() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 2, 3}, 0.5f, 1);
    int perm = m.ints("perm", new int[] {3}, 0, 2, 1);
    int y = m.tensor("y", INT8, new int[] {1, 3, 2}, 0.5f, 1);
    m.op(BuiltinOperator.TRANSPOSE, new int[] {x, perm}, new int[] {y},
        BuiltinOptions.TransposeOptions, f -> { TransposeOptions.startTransposeOptions(f);
          return TransposeOptions.endTransposeOptions(f); })
        .io(new int[] {x}, new int[] {y});
    Graph g = TfliteImporter.load(m.build(), "transpose");
    Node n = onlyNode(g);
    assertThat(n.op()).isEqualTo(new Op.Transpose(List.of(0, 2, 1)));
    assertThat(n.inputs()).containsExactly(g.inputs().get(0));
    assertThat(g.name()).isEqualTo("transpose");
    assertThat(g.value(n.output()).name()).isEqualTo("y");
    assertThat(g.type(n.output()).quant()).isEqualTo(new Quantization.PerTensor(0.5f, 1));
  }

  @Test
  void nonConstantPermutationIsAClearError() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 2, 3}, 0.5f, 1);
    int perm = m.tensor("perm", INT32, 3);
    int y = m.tensor("y", INT8, new int[] {1, 3, 2}, 0.5f, 1);
    m.op(BuiltinOperator.TRANSPOSE, new int[] {x, perm}, new int[] {y})
        .io(new int[] {x, perm}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "t"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("perm tensor 1 'perm' must be a constant");
  }

  @Test
  void meanNormalizesSortsAndDeduplicatesAxes() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 4, 4, 8}, 0.5f, 0);
    int axes = m.ints("axes", new int[] {3}, -2, 1, 2);
    int y = m.tensor("y", INT8, new int[] {1, 1, 1, 8}, 0.5f, 0);
    m.op(BuiltinOperator.MEAN, new int[] {x, axes}, new int[] {y}, BuiltinOptions.ReducerOptions,
        b -> ReducerOptions.createReducerOptions(b, true)).io(new int[] {x}, new int[] {y});
    assertThat(onlyNode(TfliteImporter.load(m.build(), "mean")).op())
        .isEqualTo(new Op.Mean(List.of(1, 2), true));
  }

  @Test
  void meanAxisOutOfRangeIsRejected() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 4}, 0.5f, 0);
    int axes = m.ints("axes", new int[] {1}, 2);
    int y = m.tensor("y", INT8, new int[] {1}, 0.5f, 0);
    m.op(BuiltinOperator.MEAN, new int[] {x, axes}, new int[] {y}).io(new int[] {x},
        new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("axis 2 out of range for rank 2");
  }

  @Test
  void concatenationNormalizesNegativeAxis() {
    TinyTflite m = new TinyTflite();
    int a = m.tensor("a", FLOAT32, 1, 2, 3);
    int b = m.tensor("b", FLOAT32, 1, 2, 5);
    int y = m.tensor("y", FLOAT32, 1, 2, 8);
    m.op(BuiltinOperator.CONCATENATION, new int[] {a, b}, new int[] {y},
        BuiltinOptions.ConcatenationOptions,
        f -> ConcatenationOptions.createConcatenationOptions(f, -1, (byte) 1))
        .io(new int[] {a, b}, new int[] {y});
    Node n = onlyNode(TfliteImporter.load(m.build(), "concat"));
    assertThat(n.op()).isEqualTo(new Op.Concatenation(2, Op.Activation.RELU));
    assertThat(n.inputs()).hasSize(2);
  }

  @Test
  void stridedSliceWithEllipsisMaskIsUnsupported() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT16, new int[] {1, 8}, 0.5f, 0);
    int begin = m.ints("begin", new int[] {2}, 0, 0);
    int end = m.ints("end", new int[] {2}, 1, 4);
    int strides = m.ints("strides", new int[] {2}, 1, 1);
    int y = m.tensor("y", INT16, new int[] {1, 4}, 0.5f, 0);
    m.op(BuiltinOperator.STRIDED_SLICE, new int[] {x, begin, end, strides}, new int[] {y},
        BuiltinOptions.StridedSliceOptions,
        f -> StridedSliceOptions.createStridedSliceOptions(f, 0, 0, 1, 0, 0, false))
        .io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "s"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("ellipsis_mask 1");
  }

  @Test
  void stridedSliceKeepsMasksAndConstants() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT16, new int[] {1, 8}, 0.5f, 0);
    int begin = m.ints("begin", new int[] {2}, 0, 2);
    int end = m.ints("end", new int[] {2}, 1, -1);
    int strides = m.ints("strides", new int[] {2}, 1, 2);
    int y = m.tensor("y", INT16, new int[] {1, 3}, 0.5f, 0);
    m.op(BuiltinOperator.STRIDED_SLICE, new int[] {x, begin, end, strides}, new int[] {y},
        BuiltinOptions.StridedSliceOptions,
        f -> StridedSliceOptions.createStridedSliceOptions(f, 1, 1, 0, 0, 0, false))
        .io(new int[] {x}, new int[] {y});
    Graph g = TfliteImporter.load(m.build(), "s");
    assertThat(onlyNode(g).op()).isEqualTo(new Op.StridedSlice(List.of(0, 2), List.of(1, -1),
        List.of(1, 2), 1, 1, 0, 0, 0, false));
    // Attribute tensors do not become values.
    assertThat(g.values()).hasSize(2);
  }

  @Test
  void padV2OnlyWhenPaddingWithTheZeroPoint() {
    for (int value : new int[] {-3, 5}) {
      TinyTflite m = new TinyTflite();
      int x = m.tensor("x", INT8, new int[] {1, 2}, 0.5f, -3);
      int pads = m.ints("pads", new int[] {2, 2}, 0, 0, 1, 2);
      int v = m.constant("v", INT8, new int[] {}, 0.5f, -3, new byte[] {(byte) value});
      int y = m.tensor("y", INT8, new int[] {1, 5}, 0.5f, -3);
      m.op(BuiltinOperator.PADV2, new int[] {x, pads, v}, new int[] {y})
          .io(new int[] {x}, new int[] {y});
      if (value == -3) {
        assertThat(onlyNode(TfliteImporter.load(m.build(), "p")).op())
            .isEqualTo(new Op.Pad(List.of(0, 1), List.of(0, 2)));
      } else {
        assertThatThrownBy(() -> TfliteImporter.load(m.build(), "p"))
            .isInstanceOf(KilnException.class)
            .hasMessageContaining("padding with 5.0 is not supported");
      }
    }
  }

  @Test
  void unsupportedOperatorNamesTheCustomCodeAndTheSupportedList() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT16, 4);
    int y = m.tensor("y", INT16, 4);
    m.custom("SignalFrobnicate", new int[] {x}, new int[] {y}).io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "c"))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith("unsupported operator CUSTOM:SignalFrobnicate (operator 0);"
            + " supported: ADD, AVERAGE_POOL_2D, BATCH_MATMUL, CAST, CONCATENATION, CONV_2D,")
        .hasMessageNotContaining("\n");
  }

  @Test
  void signalOperatorWithTheWrongArityIsOneLine() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT16, 4);
    int y = m.tensor("y", INT16, 4);
    m.custom("SignalWindow", new int[] {x}, new int[] {y}).io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "c"))
        .isInstanceOf(KilnException.class)
        .hasMessage("operator 0 (SignalWindow) has 1 inputs and 1 outputs, expected 2 and 1");
  }

  @Test
  void unsupportedBuiltinIsNamed() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 4);
    int y = m.tensor("y", FLOAT32, 4);
    m.op(BuiltinOperator.FLOOR, new int[] {x}, new int[] {y}).io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "f"))
        .hasMessageStartingWith("unsupported operator FLOOR (operator 0)");
  }

  @Test
  void deprecatedBuiltinCodeIsUsedWhenTheNewFieldIsZero() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 4);
    int y = m.tensor("y", FLOAT32, 4);
    m.deprecatedOnly(BuiltinOperator.RELU6, new int[] {x}, new int[] {y})
        .io(new int[] {x}, new int[] {y});
    assertThat(onlyNode(TfliteImporter.load(m.build(), "r")).op()).isEqualTo(new Op.Relu6());
  }

  @Test
  void unsupportedTensorTypeIsNamed() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", UINT16, 4);
    int y = m.tensor("y", UINT16, 4);
    m.op(BuiltinOperator.RELU, new int[] {x}, new int[] {y}).io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "u"))
        .hasMessageContaining("tensor 0 'x' has unsupported type UINT16");
  }

  @Test
  void dimensionsWhoseProductOverflowAreAClearError() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 65536, 65536, 2);
    int y = m.tensor("y", FLOAT32, 65536, 65536, 2);
    m.op(BuiltinOperator.RELU, new int[] {x}, new int[] {y}).io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "huge"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("2^31-1")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void maxPoolSamePaddingIsResolved() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 5, 6, 2}, 0.5f, 0);
    int y = m.tensor("y", INT8, new int[] {1, 3, 3, 2}, 0.5f, 0);
    m.op(BuiltinOperator.MAX_POOL_2D, new int[] {x}, new int[] {y}, BuiltinOptions.Pool2DOptions,
        f -> Pool2DOptions.createPool2DOptions(f, Padding.SAME, 2, 2, 3, 3, (byte) 0))
        .io(new int[] {x}, new int[] {y});
    // H: out 3, total (3-1)*2+3-5 = 2 -> 1/1.  W: out 3, total (3-1)*2+3-6 = 1 -> 0/1.
    assertThat(onlyNode(TfliteImporter.load(m.build(), "p")).op())
        .isEqualTo(new Op.MaxPool2D(3, 3, 2, 2, new Op.Pads(1, 0, 1, 1), Op.Activation.NONE));
  }

  @Test
  void declaredOutputShapeThatDisagreesFailsVerification() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 5, 6, 2}, 0.5f, 0);
    int y = m.tensor("y", INT8, new int[] {1, 2, 3, 2}, 0.5f, 0);
    m.op(BuiltinOperator.MAX_POOL_2D, new int[] {x}, new int[] {y}, BuiltinOptions.Pool2DOptions,
        f -> Pool2DOptions.createPool2DOptions(f, Padding.SAME, 2, 2, 3, 3, (byte) 0))
        .io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "p"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("declared [1,2,3,2] but infers [1,3,3,2]");
  }

  private static TinyTflite conv(int biasAxis, boolean external) {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 3, 3, 1}, 0.5f, 0);
    byte[] w = new byte[2 * 9];
    for (int i = 0; i < w.length; i++) {
      w[i] = (byte) (i - 9);
    }
    int f = m.perAxis("w", INT8, new int[] {2, 3, 3, 1}, new float[] {0.1f, 0.2f}, 0, w);
    int b = m.perAxis("b", INT32, new int[] {2}, new float[] {0.05f, 0.1f}, biasAxis,
        new byte[] {1, 0, 0, 0, 2, 0, 0, 0});
    int y = m.tensor("y", INT8, new int[] {1, 2, 2, 2}, 0.25f, 0);
    m.op(BuiltinOperator.CONV_2D, new int[] {x, f, b}, new int[] {y},
        BuiltinOptions.Conv2DOptions,
        o -> Conv2DOptions.createConv2DOptions(o, Padding.SAME, 2, 2, (byte) 0, 1, 1))
        .io(new int[] {x}, new int[] {y});
    if (external) {
      m.externalBuffers();
    }
    return m;
  }

  @Test
  void convWeightsAndBiasBecomeConstantsWithPerAxisQuantization() {
    Graph g = TfliteImporter.load(conv(0, false).build(), "conv");
    Node n = onlyNode(g);
    assertThat(n.op()).isEqualTo(new Op.Conv2D(2, 2, 1, 1, new Op.Pads(1, 1, 1, 1),
        Op.Activation.NONE));
    var w = g.input(n, Op.Conv2D.FILTER);
    assertThat(w.isConstant()).isTrue();
    assertThat(w.data().asInts(DType.INT8)[0]).isEqualTo(-9);
    assertThat(w.quant()).isEqualTo(new Quantization.PerAxis(0, new float[] {0.1f, 0.2f},
        new long[2]));
    assertThat(g.input(n, Op.Conv2D.BIAS).data().asInts(DType.INT32)).containsExactly(1, 2);
  }

  @Test
  void outOfRangeQuantizedDimensionOnA1dTensorMeansAxis0() {
    Graph g = TfliteImporter.load(conv(3, false).build(), "conv");
    assertThat(g.input(onlyNode(g), Op.Conv2D.BIAS).quant())
        .isEqualTo(new Quantization.PerAxis(0, new float[] {0.05f, 0.1f}, new long[2]));
  }

  @Test
  void buffersStoredAfterTheFlatbufferAreRead() {
    Graph inline = TfliteImporter.load(conv(0, false).build(), "conv");
    byte[] external = conv(0, true).build();
    Graph g = TfliteImporter.load(external, "conv");
    assertThat(g.values()).isEqualTo(inline.values());
    // Cutting the appended data off is caught as a truncation.
    byte[] cut = java.util.Arrays.copyOf(external, external.length - 16);
    assertThatThrownBy(() -> TfliteImporter.load(cut, "conv"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("outside the file");
  }

  @Test
  void constantOfTheWrongSizeIsRejected() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 1, 4);
    int w = m.constant("w", FLOAT32, new int[] {2, 4}, 0, 0, new byte[12]);
    int y = m.tensor("y", FLOAT32, 1, 2);
    m.op(BuiltinOperator.FULLY_CONNECTED, new int[] {x, w, -1}, new int[] {y})
        .io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "fc"))
        .hasMessageContaining("tensor 1 'w' of type f32[2,4] needs 32 bytes but its buffer has 12");
  }

  @Test
  void fullyConnectedWithoutBiasHasAnAbsentSlot() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 1, 4);
    int w = m.constant("w", FLOAT32, new int[] {2, 4}, 0, 0, new byte[32]);
    int y = m.tensor("y", FLOAT32, 1, 2);
    m.op(BuiltinOperator.FULLY_CONNECTED, new int[] {x, w, -1}, new int[] {y})
        .io(new int[] {x}, new int[] {y});
    Node n = onlyNode(TfliteImporter.load(m.build(), "fc"));
    assertThat(n.hasInput(Op.FullyConnected.BIAS)).isFalse();
    assertThat(n.op()).isEqualTo(new Op.FullyConnected(Op.Activation.NONE, false));
  }

  @Test
  void readingATensorNobodyComputesIsAClearError() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 4);
    int ghost = m.tensor("ghost", FLOAT32, 4);
    int y = m.tensor("y", FLOAT32, 4);
    m.op(BuiltinOperator.ADD, new int[] {x, ghost}, new int[] {y})
        .io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "a"))
        .hasMessageContaining("reads tensor 1 'ghost', which is neither a graph input");
  }

  @Test
  void wrongArityIsAClearError() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 4);
    int y = m.tensor("y", FLOAT32, 4);
    m.op(BuiltinOperator.ADD, new int[] {x}, new int[] {y}).io(new int[] {x}, new int[] {y});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "a"))
        .hasMessage("operator 0 (ADD) has 1 inputs, expected 2");
  }

  @Test
  void reshapeTakesTheOutputTensorsShape() {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", FLOAT32, 1, 2, 3);
    int shape = m.ints("shape", new int[] {2}, -1, 6);
    int y = m.tensor("y", FLOAT32, 1, 6);
    m.op(BuiltinOperator.RESHAPE, new int[] {x, shape}, new int[] {y})
        .io(new int[] {x}, new int[] {y});
    Node n = onlyNode(TfliteImporter.load(m.build(), "r"));
    assertThat(n.op()).isEqualTo(new Op.Reshape(Shape.of(1, 6)));
    assertThat(n.inputs()).hasSize(1);
  }

  @Test
  void notAFlatbufferAndTruncatedHeadersHaveTheirOwnMessages() {
    byte[] text = "hello, this is not a model\n".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> TfliteImporter.load(text, "notes"))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith("notes is not a TFLite model: it has no 'TFL3' flatbuffer"
            + " identifier at byte 4");
    assertThatThrownBy(() -> TfliteImporter.load(new byte[0], "empty"))
        .hasMessage("empty is empty, not a TFLite model");
    assertThatThrownBy(() -> TfliteImporter.load(new byte[] {1, 2, 3}, "tiny"))
        .hasMessageContaining("only 3 bytes; truncated?");
    byte[] header = {(byte) 0xF0, 0, 0, 0, 'T', 'F', 'L', '3'};
    assertThatThrownBy(() -> TfliteImporter.load(header, "head"))
        .hasMessageStartingWith("truncated or corrupt .tflite file head: the root table is at"
            + " byte 240 but the file has 8 bytes");
  }

  @Test
  void missingFileIsAKilnException() {
    assertThatThrownBy(() -> TfliteImporter.load(java.nio.file.Path.of("/nonexistent/x.tflite")))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith("cannot read /nonexistent/x.tflite");
  }
}
