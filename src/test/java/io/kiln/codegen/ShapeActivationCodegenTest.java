package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LeakyRelu (int8 with small, negative and large alpha; float32), HardSwish (int8), PRelu
 * (int8 with per-channel alpha, float32), TransposeConv (int8, stride 2, padded), Pad (int8
 * padded with the zero point) and StridedSlice (negative stride, shrunk axis) generated as C,
 * built with ASan and UBSan, and compared byte for byte with the interpreter on seeded random
 * inputs.
 */
class ShapeActivationCodegenTest {
  private static final int BATCH = 3;

  @TempDir
  Path tmp;

  @Test
  void int8LeakyReluPadAndStridedSlice() throws IOException {
    GraphBuilder b = new GraphBuilder("shapes_int8");
    Shape s = Shape.of(1, 4, 5, 3);
    int x = b.input("x", TensorType.quantized(DType.INT8, s, 0.05, 7));
    int small = b.value("small", TensorType.quantized(DType.INT8, s, 0.04, -3));
    b.node(new Op.LeakyRelu(0.2f), List.of(x), List.of(small));
    int padded = b.value("padded", TensorType.quantized(DType.INT8, Shape.of(1, 7, 6, 3), 0.04,
        -3));
    b.node(new Op.Pad(List.of(0, 2, 0, 0), List.of(0, 1, 1, 0)), List.of(small),
        List.of(padded));
    // Rows 6, 4, 2 (stride -2), all columns from 1, channel 1 with the channel axis shrunk.
    int sliced = b.value("sliced", TensorType.quantized(DType.INT8, Shape.of(1, 3, 5), 0.04,
        -3));
    b.node(new Op.StridedSlice(List.of(0, 6, 1, 1), List.of(1, 0, 6, 2), List.of(1, -2, 1, 1),
        0, 0, 0, 0, 0b1000, false), List.of(padded), List.of(sliced));
    int negative = b.value("negative", TensorType.quantized(DType.INT8, s, 0.03, 10));
    b.node(new Op.LeakyRelu(-0.5f), List.of(x), List.of(negative));
    int large = b.value("large", TensorType.quantized(DType.INT8, s, 0.2, 0));
    b.node(new Op.LeakyRelu(3f), List.of(x), List.of(large));
    b.output(sliced);
    b.output(negative);
    b.output(large);
    check(b.build());
  }

  /** Left- and right-shifting relu-ish multipliers, and the uint8 variant's bounds. */
  @Test
  void int8HardSwish() throws IOException {
    GraphBuilder b = new GraphBuilder("hard_swish_int8");
    Shape s = Shape.of(1, 64);
    int x = b.input("x", TensorType.quantized(DType.INT8, s, 0.05, 7));
    int left = b.value("left", TensorType.quantized(DType.INT8, s, 0.03, -20));
    b.node(new Op.HardSwish(), List.of(x), List.of(left));
    int small = b.value("small", TensorType.quantized(DType.INT8, s, 0.002, -5));
    b.node(new Op.Quantize(), List.of(x), List.of(small));
    int right = b.value("right", TensorType.quantized(DType.INT8, s, 0.001, 3));
    b.node(new Op.HardSwish(), List.of(small), List.of(right));
    b.output(left);
    b.output(right);
    check(b.build());
  }

  /** A per-channel constant alpha (the TFLite form) on int8, and a broadcast scalar on f32. */
  @Test
  void prelu() throws IOException {
    GraphBuilder b = new GraphBuilder("prelu_int8");
    Shape s = Shape.of(1, 3, 4, 5);
    int x = b.input("x", TensorType.quantized(DType.INT8, s, 0.05, 3));
    int[] alphaValues = {-100, -7, 0, 60, 127};
    int alpha = b.constant("alpha", TensorType.quantized(DType.INT8, Shape.of(1, 1, 5), 0.01,
        -7), io.kiln.ir.ConstData.ofInts(DType.INT8, alphaValues));
    int y = b.value("y", TensorType.quantized(DType.INT8, s, 0.04, 5));
    b.node(new Op.PRelu(), List.of(x, alpha), List.of(y));
    b.output(y);
    check(b.build());

    GraphBuilder f = new GraphBuilder("prelu_f32");
    int fx = f.input("x", TensorType.of(DType.FLOAT32, 2, 6));
    int fa = f.constant("alpha", TensorType.of(DType.FLOAT32, 6),
        io.kiln.ir.ConstData.ofFloats(new float[] {0.1f, -0.5f, 2f, 0f, 0.25f, 1f}));
    int fy = f.value("y", TensorType.of(DType.FLOAT32, 2, 6));
    f.node(new Op.PRelu(), List.of(fx, fa), List.of(fy));
    f.output(fy);
    check(f.build());
  }

  /** Stride 2 with and without padding, per-channel weights, int32 bias, a fused ReLU. */
  @Test
  void int8TransposeConv() throws IOException {
    for (Op.Pads pads : List.of(Op.Pads.NONE, new Op.Pads(1, 1, 1, 0))) {
      GraphBuilder b = new GraphBuilder("tconv_int8_" + pads.top());
      int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 3, 4, 5), 0.05, 3));
      int k = 6;
      SplittableRandom rng = new SplittableRandom(7);
      int[] w = new int[k * 3 * 3 * 5];
      for (int i = 0; i < w.length; i++) {
        w[i] = rng.nextInt(-127, 128);
      }
      float[] ws = new float[k];
      int[] bias = new int[k];
      for (int c = 0; c < k; c++) {
        ws[c] = 0.002f * (c + 1);
        bias[c] = rng.nextInt(-3000, 3000);
      }
      int wid = b.constant("w", new TensorType(DType.INT8, Shape.of(k, 3, 3, 5),
          new io.kiln.ir.Quantization.PerAxis(0, ws, new long[k])),
          io.kiln.ir.ConstData.ofInts(DType.INT8, w));
      float[] bs = new float[k];
      for (int c = 0; c < k; c++) {
        bs[c] = 0.05f * ws[c];
      }
      int bid = b.constant("b", new TensorType(DType.INT32, Shape.of(k),
          new io.kiln.ir.Quantization.PerAxis(0, bs, new long[k])),
          io.kiln.ir.ConstData.ofInts(DType.INT32, bias));
      Shape outShape = Shape.of(1, 7 - pads.top() - pads.bottom(),
          9 - pads.left() - pads.right(), k);
      int y = b.value("y", TensorType.quantized(DType.INT8, outShape, 0.08, -10));
      b.node(new Op.TransposeConv(2, 2, pads, outShape, Op.Activation.RELU),
          List.of(x, wid, bid), List.of(y));
      b.output(y);
      check(b.build());
    }
  }

  @Test
  void float32LeakyRelu() throws IOException {
    GraphBuilder b = new GraphBuilder("leaky_f32");
    Shape s = Shape.of(2, 9);
    int x = b.input("x", TensorType.of(DType.FLOAT32, 2, 9));
    int y = b.value("y", new TensorType(DType.FLOAT32, s, io.kiln.ir.Quantization.NONE));
    b.node(new Op.LeakyRelu(0.1f), List.of(x), List.of(y));
    int z = b.value("z", new TensorType(DType.FLOAT32, Shape.of(2, 11),
        io.kiln.ir.Quantization.NONE));
    b.node(new Op.Pad(List.of(0, 1), List.of(0, 1)), List.of(y), List.of(z));
    b.output(z);
    check(b.build());
  }

  private void check(Graph g) throws IOException {
    NativeBuild.assumeGcc();
    var in = g.inputValues().get(0);
    SplittableRandom rng = new SplittableRandom(16);
    int per = (int) in.type().bytes();
    ByteBuffer all = ByteBuffer.allocate(per * BATCH).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < in.type().elements() * BATCH; i++) {
      if (in.dtype() == DType.FLOAT32) {
        all.putFloat((float) (rng.nextDouble() * 4 - 2));
      } else {
        all.put((byte) rng.nextInt(256));
      }
    }
    byte[] input = all.array();
    Path host = NativeBuild.build(g, tmp.resolve(g.name()), NativeBuild.SANITIZE);
    List<byte[]> generated = NativeBuild.run(host, List.of(input), BATCH, g.outputs().size());
    Interpreter interp = new Interpreter(g);
    List<ByteBuffer> expected = new ArrayList<>();
    for (var o : g.outputValues()) {
      expected.add(ByteBuffer.allocate((int) o.type().bytes() * BATCH));
    }
    for (int s = 0; s < BATCH; s++) {
      byte[] sample = java.util.Arrays.copyOfRange(input, s * per, (s + 1) * per);
      List<Tensor> out = interp.run(List.of(Tensor.fromBytes(in.dtype(), in.shape(), sample)));
      for (int o = 0; o < out.size(); o++) {
        expected.get(o).put(out.get(o).toBytes());
      }
    }
    for (int o = 0; o < expected.size(); o++) {
      assertThat(generated.get(o)).as("%s output %d: generated C vs interpreter", g.name(), o)
          .isEqualTo(expected.get(o).array());
    }
  }
}
