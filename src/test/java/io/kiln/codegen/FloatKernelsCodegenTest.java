package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.passes.Pipeline;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU backend's float32 kernel family (Conv2D, DepthwiseConv2D, pooling, Mean, Softmax,
 * Relu, Relu6, Logistic, Tanh, element-wise Add/Mul, Transpose, Reshape) against the interpreter, on seeded random
 * inputs, built with ASan and UBSan; and the three float MLPerf Tiny models compiled whole.
 *
 * <p>The tolerance: layers made of sums, products, divisions and comparisons run in the
 * interpreter's order without contraction, so their outputs must be bit-identical (0 ulp). Layers
 * that call {@code exp} or {@code tanh} (Softmax, Logistic, Tanh) use the C library's double
 * functions where the interpreter uses {@code StrictMath} (fdlibm); the two may differ in the last
 * bit of the double, which can move the float result by one ulp and, through a softmax's sum and
 * division, by a few. Graphs with such layers may differ by at most {@value #TRANSCENDENTAL_ULPS}
 * ulps per element.
 */
class FloatKernelsCodegenTest {
  static final int TRANSCENDENTAL_ULPS = 4;
  private static final int BATCH = 3;

  @TempDir
  Path tmp;

  /** Strides, SAME-style padding, dilation, a fused ReLU6 and a bias-less layer. */
  @Test
  void convolutions() throws IOException {
    GraphBuilder b = new GraphBuilder("conv_f32");
    SplittableRandom rng = new SplittableRandom(3);
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 9, 8, 3));
    int w1 = floats(b, "w1", rng, 5, 3, 3, 3);
    int b1 = floats(b, "b1", rng, 5);
    int c1 = b.apply(new Op.Conv2D(2, 2, 1, 1, new Op.Pads(1, 1, 1, 0), Op.Activation.RELU6),
        List.of(x, w1, b1), "c1", DType.FLOAT32, Quantization.NONE);
    int w2 = floats(b, "w2", rng, 4, 2, 2, 5);
    int c2 = b.apply(new Op.Conv2D(1, 1, 2, 2, new Op.Pads(1, 1, 1, 1), Op.Activation.NONE),
        List.of(c1, w2, io.kiln.ir.Node.ABSENT), "c2", DType.FLOAT32, Quantization.NONE);
    int dw = floats(b, "dw", rng, 1, 3, 3, 8);
    int db = floats(b, "db", rng, 8);
    int d1 = b.apply(new Op.DepthwiseConv2D(1, 2, 1, 1, new Op.Pads(1, 1, 1, 1), 2,
        Op.Activation.RELU), List.of(c2, dw, db), "d1", DType.FLOAT32, Quantization.NONE);
    b.output(d1);
    check(b.build(), 0);
  }

  /** Padded windows (clipped, averaged over what they cover) and element-wise arithmetic. */
  @Test
  void poolingAndElementwise() throws IOException {
    GraphBuilder b = new GraphBuilder("pool_f32");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 2, 7, 6, 4));
    int avg = b.apply(new Op.AveragePool2D(3, 3, 2, 2, new Op.Pads(1, 1, 1, 1),
        Op.Activation.NONE), List.of(x), "avg", DType.FLOAT32, Quantization.NONE);
    int max = b.apply(new Op.MaxPool2D(2, 3, 2, 1, new Op.Pads(0, 1, 1, 1),
        Op.Activation.RELU_N1_TO_1), List.of(x), "max", DType.FLOAT32, Quantization.NONE);
    int sum = b.apply(new Op.Add(Op.Activation.NONE), List.of(x, x), "sum", DType.FLOAT32,
        Quantization.NONE);
    int prod = b.apply(new Op.Mul(Op.Activation.RELU), List.of(sum, x), "prod", DType.FLOAT32,
        Quantization.NONE);
    int relu = b.apply(new Op.Relu(), List.of(prod), "relu", DType.FLOAT32, Quantization.NONE);
    int relu6 = b.apply(new Op.Relu6(), List.of(sum), "relu6", DType.FLOAT32,
        Quantization.NONE);
    int mean = b.apply(new Op.Mean(List.of(1, 2), true), List.of(x), "mean", DType.FLOAT32,
        Quantization.NONE);
    int meanC = b.apply(new Op.Mean(List.of(0, 3), false), List.of(x), "mean_c", DType.FLOAT32,
        Quantization.NONE);
    b.output(avg);
    b.output(max);
    b.output(mean);
    b.output(meanC);
    b.output(relu);
    b.output(relu6);
    check(b.build(), 0);
  }

  /** Transpose (data movement, any dtype) of float and int8 tensors. */
  @Test
  void transposes() throws IOException {
    GraphBuilder b = new GraphBuilder("transpose_f32");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 2, 3, 4, 5));
    int t = b.apply(new Op.Transpose(List.of(0, 3, 1, 2)), List.of(x), "t", DType.FLOAT32,
        Quantization.NONE);
    int u = b.apply(new Op.Transpose(List.of(2, 0, 3, 1)), List.of(t), "u", DType.FLOAT32,
        Quantization.NONE);
    b.output(u);
    check(b.build(), 0);
    GraphBuilder q = new GraphBuilder("transpose_i8");
    int qx = q.input("x", TensorType.quantized(DType.INT8, Shape.of(3, 7), 0.1, 4));
    int qt = q.apply(new Op.Transpose(List.of(1, 0)), List.of(qx), "t", DType.INT8,
        Quantization.perTensor(0.1, 4));
    q.output(qt);
    CodegenParity.assertMatchesInterpreter(q.build(), tmp.resolve("transpose_i8"), 2);
  }

  @Test
  void softmaxLogisticTanh() throws IOException {
    GraphBuilder b = new GraphBuilder("transcendental_f32");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 3, 10));
    int scaled = b.apply(new Op.Mul(Op.Activation.NONE), List.of(x, b.constant("ten",
        TensorType.of(DType.FLOAT32), ConstData.ofFloats(new float[] {10f}))), "scaled",
        DType.FLOAT32, Quantization.NONE);
    int soft = b.apply(new Op.Softmax(0.5f), List.of(scaled), "soft", DType.FLOAT32,
        Quantization.NONE);
    // Times ten reaches both of TFLite's logistic cutoffs (-9 and 16.6).
    int sig = b.apply(new Op.Logistic(), List.of(scaled), "sig", DType.FLOAT32,
        Quantization.NONE);
    int tanh = b.apply(new Op.Tanh(), List.of(x), "tanh", DType.FLOAT32, Quantization.NONE);
    b.output(soft);
    b.output(sig);
    b.output(tanh);
    check(b.build(), TRANSCENDENTAL_ULPS);
  }

  /** A quantized layer is not taken by the float family: the int8 emitters still own it. */
  @Test
  void int8LayersStillUseTheInt8Kernels() {
    GraphBuilder b = new GraphBuilder("tanh_int8_in_float_family");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 4), 0.1, 0));
    int y = b.value("y", TensorType.quantized(DType.INT8, Shape.of(1, 4), 1f / 128, 0));
    b.node(new Op.Relu6(), List.of(x), List.of(y));
    b.output(y);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.kiln.codegen.cpu.CpuCodegen.emit(
        b.build(), CodegenOptions.defaults()))
        .hasMessageContaining("Relu6 with i8 input 0");
  }

  /**
   * The float MLPerf Tiny models (KWS DS-CNN with dequantized hybrid weights, ResNet8,
   * MobileNetV1 VWW): the whole model compiles, and the C output on seeded random inputs is the
   * interpreter's within the tolerance above (their only transcendental layer is the softmax).
   */
  @ParameterizedTest
  @ValueSource(strings = {"kws_ref_model_float32", "pretrainedResnet", "vww_96_float"})
  void floatMlperfModels(String name) throws IOException {
    Graph g = Pipeline.DEFAULT.apply(TfliteImporter.load(
        SharedModels.file("mlperf-tiny/" + name + ".tflite")));
    check(g, TRANSCENDENTAL_ULPS);
  }

  /**
   * The KWS float model's C output against LiteRT's on the shared reference inputs (TFLM cannot
   * prepare its hybrid convolutions), with the tolerance HybridWeightsTest uses for the
   * interpreter (0.005 per class probability; measured 1.6e-5 and 3.1e-3): LiteRT runs the hybrid
   * convolutions on quantized activations, Kiln on float ones with dequantized weights.
   */
  @Test
  void kwsFloatAgreesWithLiteRt() throws IOException {
    NativeBuild.assumeGcc();
    Graph g = TfliteImporter.load(SharedModels.file("mlperf-tiny/kws_ref_model_float32.tflite"));
    Path dir = SharedModels.file("reference-outputs/kws_ref_model_float32");
    Path host = NativeBuild.build(g, tmp.resolve("kws_litert"), NativeBuild.STRICT);
    for (String c : List.of("zeros_dq", "rand_dq")) {
      byte[] out = NativeBuild.run(host, List.of(Files.readAllBytes(dir.resolve(c + ".in.bin"))),
          1, 1).get(0);
      ByteBuffer ours = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(c + ".out.litert.bin")))
          .order(ByteOrder.LITTLE_ENDIAN);
      assertThat(ours.remaining()).isEqualTo(ref.remaining());
      double worst = 0;
      while (ref.hasRemaining()) {
        worst = Math.max(worst, Math.abs(ours.getFloat() - ref.getFloat()));
      }
      assertThat(worst).as("%s: max |C - LiteRT| over the 12 probabilities", c)
          .isLessThan(0.005);
    }
  }

  private static int floats(GraphBuilder b, String name, SplittableRandom rng, int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[Math.toIntExact(s.elements())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return b.constant(name, new TensorType(DType.FLOAT32, s, Quantization.NONE),
        ConstData.ofFloats(v));
  }

  /** Builds {@code g} sanitized, runs BATCH random samples, compares with the interpreter. */
  private void check(Graph g, int ulps) throws IOException {
    NativeBuild.assumeGcc();
    Value in = g.inputValues().get(0);
    SplittableRandom rng = new SplittableRandom(16);
    int per = (int) in.type().bytes();
    ByteBuffer all = ByteBuffer.allocate(per * BATCH).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < in.type().elements() * BATCH; i++) {
      all.putFloat((float) (rng.nextDouble() * 4 - 2));
    }
    byte[] input = all.array();
    Path host = NativeBuild.build(g, tmp.resolve(g.name()), NativeBuild.SANITIZE);
    List<byte[]> generated = NativeBuild.run(host, List.of(input), BATCH, g.outputs().size());
    Interpreter interp = new Interpreter(g);
    List<ByteBuffer> expected = new ArrayList<>();
    for (Value o : g.outputValues()) {
      expected.add(ByteBuffer.allocate((int) o.type().bytes() * BATCH)
          .order(ByteOrder.LITTLE_ENDIAN));
    }
    for (int s = 0; s < BATCH; s++) {
      byte[] sample = java.util.Arrays.copyOfRange(input, s * per, (s + 1) * per);
      List<Tensor> out = interp.run(List.of(Tensor.fromBytes(in.dtype(), in.shape(), sample)));
      for (int o = 0; o < out.size(); o++) {
        expected.get(o).put(out.get(o).toBytes());
      }
    }
    for (int o = 0; o < expected.size(); o++) {
      if (ulps == 0) {
        assertThat(generated.get(o)).as("%s output %d: generated C vs interpreter", g.name(), o)
            .isEqualTo(expected.get(o).array());
        continue;
      }
      ByteBuffer want = expected.get(o).flip();
      ByteBuffer got = ByteBuffer.wrap(generated.get(o)).order(ByteOrder.LITTLE_ENDIAN);
      assertThat(got.remaining()).isEqualTo(want.remaining());
      long worst = 0;
      int at = -1;
      for (int i = 0; want.hasRemaining(); i++) {
        long d = ulpDistance(want.getFloat(), got.getFloat());
        if (d > worst) {
          worst = d;
          at = i;
        }
      }
      // Measured, for the report: the largest difference each model shows.
      System.out.printf("%s output %d: at most %d ulp between C and the interpreter%n", g.name(),
          o, worst);
      assertThat(worst).as("%s output %d: ulps between C and interpreter (element %d)",
          g.name(), o, at).isLessThanOrEqualTo(ulps);
    }
  }

  /** Units in the last place between two floats (0 for equal bits; NaNs only equal NaNs). */
  static long ulpDistance(float a, float b) {
    if (Float.isNaN(a) || Float.isNaN(b)) {
      return Float.isNaN(a) && Float.isNaN(b) ? 0 : Long.MAX_VALUE;
    }
    return Math.abs(ordered(a) - ordered(b));
  }

  /** Float bits mapped to a monotonic integer line (so -0.0 and +0.0 are 0 and 0, adjacent). */
  private static long ordered(float f) {
    int bits = Float.floatToRawIntBits(f);
    return bits < 0 ? -(long) (bits & 0x7fffffff) : bits;
  }
}
