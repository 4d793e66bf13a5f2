package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A TFLite model re-exported by Kiln imports to the same canonical text and runs bit-identically
 * in Kiln's interpreter; graphs TFLite cannot express are refused with one line.
 */
class TfliteWriterTest {

  static Stream<String> models() throws IOException {
    Path root = SharedModels.root();
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".tflite"))
          .filter(p -> !p.getFileName().toString().startsWith("audio_preprocessor"))
          .sorted().map(p -> root.relativize(p).toString().replace('\\', '/')).toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void reExportImportsToTheSameGraphAndRunsIdentically(String model) {
    Graph original = TfliteImporter.load(SharedModels.file(model));
    byte[] bytes = TfliteWriter.write(original);
    assertThat(new String(bytes, 4, 4, StandardCharsets.US_ASCII)).isEqualTo("TFL3");
    Graph back = TfliteImporter.load(bytes, original.name());
    assertThat(GraphPrinter.print(back)).isEqualTo(GraphPrinter.print(original));

    List<Tensor> inputs = randomInputs(original, new Random(model.hashCode()));
    List<Tensor> want;
    try {
      want = new Interpreter(original).run(inputs);
    } catch (KilnException e) {
      // Same graph text already; the run comparison needs an interpreter that runs the model.
      assumeTrue(false, "interpreter cannot run " + model + ": " + e.getMessage());
      return;
    }
    List<Tensor> got = new Interpreter(back).run(inputs);
    assertThat(got).hasSameSizeAs(want);
    for (int i = 0; i < want.size(); i++) {
      assertThat(got.get(i).toBytes()).as("output %d", i).isEqualTo(want.get(i).toBytes());
    }
  }

  @Test
  void referenceInputsOfKwsRunBitIdenticallyAfterReExport() throws IOException {
    Graph original = TfliteImporter.load(SharedModels.file("mlperf-tiny/kws_ref_model.tflite"));
    Graph back = TfliteImporter.load(TfliteWriter.write(original), "kws");
    byte[] all = Files.readAllBytes(SharedModels.file(
        "reference-outputs/kws_ref_model/rand16.in.bin"));
    byte[] tflm = Files.readAllBytes(SharedModels.file(
        "reference-outputs/kws_ref_model/rand16.out.tflm.bin"));
    Value in = original.inputValues().get(0);
    int n = in.type().elements();
    int outBytes = (int) original.outputValues().get(0).type().bytes();
    Interpreter kiln = new Interpreter(back);
    for (int s = 0; s < all.length / n; s++) {
      Tensor x = Tensor.fromBytes(DType.INT8, in.shape(),
          java.util.Arrays.copyOfRange(all, s * n, (s + 1) * n));
      assertThat(kiln.run(List.of(x)).get(0).toBytes()).as("sample %d", s)
          .isEqualTo(java.util.Arrays.copyOfRange(tflm, s * outBytes, (s + 1) * outBytes));
    }
  }

  @Test
  void samePaddingIsWrittenAsSameAndZeroPaddingAsValid() {
    Shape in = Shape.of(1, 7, 7, 3);
    assertThat(TfliteWriter.windowPadding(Op.Pads.NONE, 2, 2, 1, 1, in, 3, 3))
        .isEqualTo(TflitePadding.VALID);
    assertThat(TfliteWriter.windowPadding(new Op.Pads(1, 1, 1, 1), 2, 2, 1, 1, in, 3, 3))
        .isEqualTo(TflitePadding.SAME);
    // TFLite puts the odd pad after: (0,0,1,1) is SAME for 8x8, stride 2, filter 3...
    assertThat(TfliteWriter.windowPadding(new Op.Pads(0, 0, 1, 1), 2, 2, 1, 1,
        Shape.of(1, 8, 8, 3), 3, 3)).isEqualTo(TflitePadding.SAME);
    // ...but the mirror image (odd pad before, as some ONNX exporters write) is not.
    assertThat(TfliteWriter.windowPadding(new Op.Pads(1, 1, 0, 0), 2, 2, 1, 1,
        Shape.of(1, 8, 8, 3), 3, 3)).isEqualTo((byte) -1);
  }

  @Test
  void padsThatAreNeitherSameNorValidBecomeAnExplicitPadBeforeTheConvolution() {
    Graph g = quantizedConv(new Op.Pads(1, 2, 0, 0));
    Graph back = TfliteImporter.load(TfliteWriter.write(g), "conv");
    assertThat(back.nodes()).extracting(n -> n.op().opName()).containsExactly("Pad", "Conv2D");
    Op.Pad pad = (Op.Pad) back.nodes().get(0).op();
    assertThat(pad.before()).containsExactly(0, 1, 2, 0);
    assertThat(pad.after()).containsExactly(0, 0, 0, 0);
    assertThat(((Op.Conv2D) back.nodes().get(1).op()).pads()).isEqualTo(Op.Pads.NONE);

    Random r = new Random(7);
    for (int trial = 0; trial < 5; trial++) {
      List<Tensor> x = randomInputs(g, r);
      assertThat(new Interpreter(back).run(x).get(0).toBytes())
          .isEqualTo(new Interpreter(g).run(x).get(0).toBytes());
    }
  }

  @Test
  void operatorsWithoutATfliteEquivalentAreRefusedWithOneLine() {
    GraphBuilder b = new GraphBuilder("div");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 4));
    int y = b.input("y", TensorType.of(DType.FLOAT32, 1, 4));
    b.output(b.apply(new Op.Div(Op.Activation.NONE), List.of(x, y), "z", DType.FLOAT32,
        Quantization.NONE));
    assertThatThrownBy(() -> TfliteWriter.write(b.build()))
        .isInstanceOf(KilnException.class)
        .hasMessage("cannot export to tflite: node 0 (Div) has no TFLite operator in Kiln's"
            + " writer");
  }

  @Test
  void halfEvenQuantizeIsRefusedBecauseTfliteRoundsDifferently() {
    GraphBuilder b = new GraphBuilder("q");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 4));
    b.output(b.apply(new Op.Quantize(RequantScheme.FLOAT_HALF_EVEN), List.of(x), "y",
        DType.INT8, Quantization.perTensor(0.5, 1)));
    assertThatThrownBy(() -> TfliteWriter.write(b.build()))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("rounds with FLOAT_HALF_EVEN")
        .hasMessageNotContaining("\n");
  }

  /** An int8 3x3 stride-2 convolution over [1,8,8,3] with per-channel weights. */
  static Graph quantizedConv(Op.Pads pads) {
    Random r = new Random(3);
    GraphBuilder b = new GraphBuilder("conv");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 8, 8, 3), 0.05, -3));
    int[] w = new int[4 * 3 * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextInt(255) - 127;
    }
    float[] ws = {0.01f, 0.02f, 0.015f, 0.03f};
    int wid = b.constant("w", new TensorType(DType.INT8, Shape.of(4, 3, 3, 3),
        new Quantization.PerAxis(0, ws, new long[4])), ConstData.ofInts(DType.INT8, w));
    float[] bs = new float[4];
    for (int i = 0; i < 4; i++) {
      bs[i] = 0.05f * ws[i];
    }
    int bid = b.constant("b", new TensorType(DType.INT32, Shape.of(4),
        new Quantization.PerAxis(0, bs, new long[4])),
        ConstData.ofInts(DType.INT32, new int[] {100, -200, 300, 0}));
    b.output(b.apply(new Op.Conv2D(2, 2, 1, 1, pads, Op.Activation.RELU), List.of(x, wid, bid),
        "y", DType.INT8, Quantization.perTensor(0.1, -128)));
    return b.build();
  }

  static List<Tensor> randomInputs(Graph g, Random r) {
    List<Tensor> ins = new ArrayList<>();
    for (Value v : g.inputValues()) {
      int n = v.type().elements();
      Shape runtimeShape = outputShapeFed(g, v.id());
      if (runtimeShape != null) {
        ins.add(Tensor.ofInts(v.dtype(), v.shape(), runtimeShape.dims()));
      } else if (v.dtype() == DType.FLOAT32) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = (float) (r.nextDouble() * 2 - 1);
        }
        ins.add(Tensor.ofFloats(v.shape(), f));
      } else {
        int[] q = new int[n];
        long span = v.dtype().max() - v.dtype().min() + 1;
        for (int i = 0; i < n; i++) {
          q[i] = (int) (v.dtype().min() + Math.floorMod(r.nextLong(), span));
        }
        ins.add(Tensor.ofInts(v.dtype(), v.shape(), q));
      }
    }
    return ins;
  }

  /** The static output shape of a transposed convolution whose shape input is {@code id}. */
  private static Shape outputShapeFed(Graph g, int id) {
    for (io.kiln.ir.Node n : g.nodes()) {
      if (n.op() instanceof Op.TransposeConv t && n.input(Op.TransposeConv.OUTPUT_SHAPE) == id) {
        return t.outputShape();
      }
    }
    return null;
  }
}
