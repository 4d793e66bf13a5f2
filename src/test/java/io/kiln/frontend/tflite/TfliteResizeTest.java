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
import org.tensorflow.lite.schema.ResizeBilinearOptions;
import org.tensorflow.lite.schema.ResizeNearestNeighborOptions;

/**
 * RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (int8 and float, each coordinate convention):
 * values from TFLM's resize_bilinear_test.cc where it has them, otherwise worked out by hand from
 * TFLM's reference arithmetic (noted per case); then random upsampling and downsampling layers
 * compiled to C, equal to the interpreter under ASan and UBSan.
 */
class TfliteResizeTest {
  @TempDir
  Path tmp;

  private static Graph resize(boolean nearest, byte type, int[] in, int h, int w, boolean align,
      boolean half) {
    TinyTflite m = new TinyTflite();
    float scale = type == INT8 ? 0.5f : 0;
    int x = m.tensor("x", type, in, scale, 0);
    int size = m.ints("size", new int[] {2}, h, w);
    int y = m.tensor("y", type, new int[] {in[0], h, w, in[3]}, scale, 0);
    if (nearest) {
      m.op(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, new int[] {x, size}, new int[] {y},
          BuiltinOptions.ResizeNearestNeighborOptions,
          f -> ResizeNearestNeighborOptions.createResizeNearestNeighborOptions(f, align, half));
    } else {
      m.op(BuiltinOperator.RESIZE_BILINEAR, new int[] {x, size}, new int[] {y},
          BuiltinOptions.ResizeBilinearOptions,
          f -> ResizeBilinearOptions.createResizeBilinearOptions(f, align, half));
    }
    m.io(new int[] {x}, new int[] {y});
    return TfliteImporter.load(m.build(), (nearest ? "nearest" : "bilinear") + "_" + type + "_"
        + h + "x" + w + (align ? "_align" : "") + (half ? "_half" : ""));
  }

  private static int[] runInt8(Graph g, Shape s, int... values) {
    return new Interpreter(g).run(List.of(Tensor.ofInts(DType.INT8, s, values))).get(0).ints;
  }

  private static float[] runFloat(Graph g, Shape s, float... values) {
    return new Interpreter(g).run(List.of(Tensor.ofFloats(s, values))).get(0).floats;
  }

  /** {1, 2, 3} to width 5: scale 0.6 floors; align_corners rounds x / 2; half pixel (x+.5)*.6. */
  @Test
  void nearestNeighbourConventions() {
    Shape s = Shape.of(1, 1, 3, 1);
    assertThat(runInt8(resize(true, INT8, s.dims(), 1, 5, false, false), s, 1, 2, 3))
        .containsExactly(1, 1, 2, 2, 3);
    assertThat(runInt8(resize(true, INT8, s.dims(), 1, 5, true, false), s, 1, 2, 3))
        .containsExactly(1, 2, 2, 3, 3);
    assertThat(runInt8(resize(true, INT8, s.dims(), 1, 5, false, true), s, 1, 2, 3))
        .containsExactly(1, 1, 2, 3, 3);
    assertThat(runFloat(resize(true, FLOAT32, s.dims(), 1, 5, false, true), s, 1, 2, 3))
        .containsExactly(1, 1, 2, 3, 3);
  }

  /** TFLM's TwoDimensionalResize and TwoDimensionalResizeInt8 (2x2 to 3x3). */
  @Test
  void bilinearTflmVectors() {
    Shape s = Shape.of(1, 2, 2, 1);
    assertThat(runFloat(resize(false, FLOAT32, s.dims(), 3, 3, false, false), s, 3, 6, 9, 12))
        .containsExactly(3, 5, 6, 7, 9, 10, 9, 11, 12);
    assertThat(runInt8(resize(false, INT8, s.dims(), 3, 3, false, false), s, 3, 6, 9, 12))
        .containsExactly(3, 5, 6, 7, 9, 10, 9, 11, 12);
  }

  /**
   * {3, 6} to width 4 with half-pixel centres: float positions -0.25, 0.25, 0.75, 1.25 give
   * 3, 3.75, 5.25, 6; the int8 path's 1/1024 weights give 3840/1024 and 5376/1024, rounded half
   * away to 4 and 5. To width 3 with align_corners: 4.5 in float, 4608/1024 rounded to 5 in int8.
   */
  @Test
  void bilinearHalfPixelAndAlignCorners() {
    Shape s = Shape.of(1, 1, 2, 1);
    assertThat(runFloat(resize(false, FLOAT32, s.dims(), 1, 4, false, true), s, 3, 6))
        .containsExactly(3f, 3.75f, 5.25f, 6f);
    assertThat(runInt8(resize(false, INT8, s.dims(), 1, 4, false, true), s, 3, 6))
        .containsExactly(3, 4, 5, 6);
    assertThat(runFloat(resize(false, FLOAT32, s.dims(), 1, 3, true, false), s, 3, 6))
        .containsExactly(3f, 4.5f, 6f);
    assertThat(runInt8(resize(false, INT8, s.dims(), 1, 3, true, false), s, 3, 6))
        .containsExactly(3, 5, 6);
    // Negative values round away from zero too: -4608/1024 -> -5.
    assertThat(runInt8(resize(false, INT8, s.dims(), 1, 3, true, false), s, -3, -6))
        .containsExactly(-3, -5, -6);
  }

  @Test
  void bothConventionsAtOnceAreRefused() {
    assertThatThrownBy(() -> resize(false, INT8, new int[] {1, 2, 2, 1}, 3, 3, true, true))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("both align_corners and half_pixel_centers");
  }

  /** Up- and downsampling, every convention and both dtypes, generated C vs interpreter. */
  @Test
  void generatedCEqualsTheInterpreter() throws IOException {
    int seed = 0;
    for (boolean nearest : new boolean[] {true, false}) {
      for (byte type : new byte[] {INT8, FLOAT32}) {
        for (int[] size : new int[][] {{7, 9}, {2, 3}}) {
          for (boolean[] flags : new boolean[][] {{false, false}, {true, false}, {false, true}}) {
            Graph g = resize(nearest, type, new int[] {2, 4, 5, 3}, size[0], size[1], flags[0],
                flags[1]);
            CodegenParity.assertMatchesInterpreter(g, tmp.resolve(g.name()), seed++);
          }
        }
      }
    }
  }
}
