package io.kiln.ir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShapeInferenceTest {
  private static TensorType t(int... dims) {
    return TensorType.of(DType.FLOAT32, dims);
  }

  @Test
  void convSamePaddingOfKwsFirstLayer() {
    // 49x10 input, 10x4 filter, stride 2, TFLite SAME: out = ceil(in / stride) = 25 x 5.
    var op = new Op.Conv2D(2, 2, 1, 1, new Pads(4, 1, 5, 2), Activation.RELU);
    assertThat(ShapeInference.infer(op, List.of(t(1, 49, 10, 1), t(64, 10, 4, 1), t(64))))
        .isEqualTo(Shape.of(1, 25, 5, 64));
  }

  @Test
  void dilatedConvUsesEffectiveKernel() {
    var op = new Op.Conv2D(1, 1, 2, 3, Pads.NONE, Activation.NONE);
    // effective kernel: (3-1)*2+1 = 5 rows, (3-1)*3+1 = 7 cols.
    assertThat(ShapeInference.infer(op, List.of(t(1, 10, 10, 4), t(8, 3, 3, 4))))
        .isEqualTo(Shape.of(1, 6, 4, 8));
  }

  @Test
  void depthwiseChecksDepthMultiplier() {
    var op = new Op.DepthwiseConv2D(1, 1, 1, 1, new Pads(1, 1, 1, 1), 2, Activation.NONE);
    assertThat(ShapeInference.infer(op, List.of(t(1, 5, 5, 3), t(1, 3, 3, 6))))
        .isEqualTo(Shape.of(1, 5, 5, 6));
    assertThatThrownBy(() -> ShapeInference.infer(op, List.of(t(1, 5, 5, 3), t(1, 3, 3, 5))))
        .isInstanceOf(KilnException.class).hasMessageContaining("DepthwiseConv2D");
  }

  @Test
  void fullyConnectedFlattensOrKeepsDims() {
    assertThat(ShapeInference.infer(new Op.FullyConnected(Activation.NONE, false),
        List.of(t(1, 5, 5, 4), t(10, 100)))).isEqualTo(Shape.of(1, 10));
    assertThat(ShapeInference.infer(new Op.FullyConnected(Activation.NONE, true),
        List.of(t(2, 3, 100), t(10, 100)))).isEqualTo(Shape.of(2, 3, 10));
    assertThatThrownBy(() -> ShapeInference.infer(new Op.FullyConnected(Activation.NONE, false),
        List.of(t(1, 7), t(10, 100)))).isInstanceOf(KilnException.class);
  }

  @Test
  void broadcastFollowsNumpy() {
    assertThat(ShapeInference.broadcast(new Op.Add(Activation.NONE), Shape.of(3, 1, 5),
        Shape.of(4, 1))).isEqualTo(Shape.of(3, 4, 5));
    assertThatThrownBy(() -> ShapeInference.broadcast(new Op.Add(Activation.NONE),
        Shape.of(3, 2), Shape.of(3))).isInstanceOf(KilnException.class)
        .hasMessageContaining("do not broadcast");
  }

  @Test
  void meanTransposePadConcat() {
    assertThat(ShapeInference.infer(new Op.Mean(List.of(1, 2), true), List.of(t(1, 5, 5, 8))))
        .isEqualTo(Shape.of(1, 1, 1, 8));
    assertThat(ShapeInference.infer(new Op.Mean(List.of(1, 2), false), List.of(t(1, 5, 5, 8))))
        .isEqualTo(Shape.of(1, 8));
    assertThat(ShapeInference.infer(new Op.Transpose(List.of(0, 3, 1, 2)),
        List.of(t(1, 5, 6, 8)))).isEqualTo(Shape.of(1, 8, 5, 6));
    assertThatThrownBy(() -> ShapeInference.infer(new Op.Transpose(List.of(0, 0, 1, 2)),
        List.of(t(1, 5, 6, 8)))).isInstanceOf(KilnException.class);
    assertThat(ShapeInference.infer(new Op.Pad(List.of(0, 1, 2, 0), List.of(0, 3, 4, 0)),
        List.of(t(1, 5, 6, 8)))).isEqualTo(Shape.of(1, 9, 12, 8));
    assertThat(ShapeInference.infer(new Op.Concatenation(3, Activation.NONE),
        List.of(t(1, 2, 2, 3), t(1, 2, 2, 5)))).isEqualTo(Shape.of(1, 2, 2, 8));
  }

  @Test
  void reshapeKeepsElementCount() {
    assertThat(ShapeInference.infer(new Op.Reshape(Shape.of(1, 64)), List.of(t(1, 1, 1, 64))))
        .isEqualTo(Shape.of(1, 64));
    assertThatThrownBy(() -> ShapeInference.infer(new Op.Reshape(Shape.of(1, 63)),
        List.of(t(1, 1, 1, 64)))).isInstanceOf(KilnException.class)
        .hasMessageContaining("cannot reshape");
  }

  @Test
  void windowTooLargeIsAnError() {
    assertThatThrownBy(() -> ShapeInference.infer(new Op.MaxPool2D(5, 5, 1, 1, Pads.NONE,
        Activation.NONE), List.of(t(1, 3, 3, 1)))).isInstanceOf(KilnException.class)
        .hasMessageContaining("does not fit");
  }

  @Test
  void overflowingShapeIsAnError() {
    assertThatThrownBy(() -> Shape.of(65536, 65536)).isInstanceOf(KilnException.class)
        .hasMessageContaining("2^31-1");
    assertThatThrownBy(() -> Shape.of(4, -1)).isInstanceOf(KilnException.class);
  }

  /** Seeded sweep: SAME padding resolved as TFLite does always gives ceil(in / stride). */
  @Test
  void samePaddingGivesCeilDivOutputs() {
    SplittableRandom rnd = new SplittableRandom(20261122);
    for (int i = 0; i < 5000; i++) {
      int in = 1 + rnd.nextInt(64);
      int k = 1 + rnd.nextInt(7);
      int s = 1 + rnd.nextInt(4);
      int d = 1 + rnd.nextInt(3);
      int eff = (k - 1) * d + 1;
      int out = (in + s - 1) / s;
      int total = Math.max((out - 1) * s + eff - in, 0);
      int before = total / 2;
      assertThat(ShapeInference.window(new Op.Relu(), in, k, s, d, before, total - before))
          .as("in=%d k=%d s=%d d=%d", in, k, s, d).isEqualTo(out);
      if (in >= eff) {
        assertThat(ShapeInference.window(new Op.Relu(), in, k, s, d, 0, 0))
            .isEqualTo((in - eff) / s + 1);
      }
    }
  }

  /** Seeded sweep of strided slices against a direct enumeration of selected indices. */
  @Test
  void stridedSliceMatchesEnumeration() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int iter = 0; iter < 3000; iter++) {
      int size = 1 + rnd.nextInt(12);
      int begin = rnd.nextInt(-size - 2, size + 3);
      int end = rnd.nextInt(-size - 2, size + 3);
      int stride = rnd.nextBoolean() ? 1 + rnd.nextInt(3) : -1 - rnd.nextInt(3);
      int beginMask = rnd.nextInt(4) == 0 ? 1 : 0;
      int endMask = rnd.nextInt(4) == 0 ? 1 : 0;
      var op = new Op.StridedSlice(List.of(begin), List.of(end), List.of(stride), beginMask,
          endMask, 0, 0, 0, false);
      var geo = StridedSliceGeometry.of(op, Shape.of(size));
      // Python-like reference: resolve negatives, clamp, then step.
      int b = beginMask != 0 ? (stride > 0 ? 0 : size - 1) : norm(begin, size, stride);
      int e = endMask != 0 ? (stride > 0 ? size : -1) : norm(end, size, stride);
      List<Integer> expected = new ArrayList<>();
      for (int x = b; stride > 0 ? x < e : x > e; x += stride) {
        expected.add(x);
      }
      assertThat(geo.outputShape().dim(0)).as("size=%d %d:%d:%d masks %d %d", size, begin, end,
          stride, beginMask, endMask).isEqualTo(expected.size());
      if (!expected.isEmpty()) {
        assertThat(geo.start()[0]).isEqualTo(expected.get(0));
      }
    }
  }

  private static int norm(int idx, int size, int stride) {
    int v = idx < 0 ? idx + size : idx;
    return stride > 0 ? Math.max(0, Math.min(size, v)) : Math.max(-1, Math.min(size - 1, v));
  }
}
