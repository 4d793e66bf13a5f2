package io.kiln.frontend.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Shape;
import io.kiln.testing.Golden;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** OnnxImporter on small in-memory models: layout handling, QDQ mapping and every error path. */
class OnnxImporterTest {

  /** A 3x3 float convolution over NCHW with OIHW weights: transposes around an NHWC Conv2D. */
  private static byte[] conv() {
    float[] w = new float[2 * 3 * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 7) * 0.25f - 0.5f;
    }
    return new TinyOnnx().input("x", TinyOnnx.FLOAT, 1, 3, 5, 5)
        .floats("w", w, 2, 3, 3, 3).floats("b", new float[] {0.5f, -1f}, 2)
        .node("Conv", List.of("x", "w", "b"), List.of("y"), TinyOnnx.ints("pads", 1, 1, 1, 1),
            TinyOnnx.ints("strides", 2, 2))
        .output("y", TinyOnnx.FLOAT, 1, 2, 3, 3).bytes();
  }

  @Test
  void convImportsAsTransposedNhwcConvolution() {
    Graph g = OnnxImporter.load(conv(), "conv");
    Golden.assertMatches("onnx/conv.txt", GraphPrinter.print(g));
    assertThat(g.nodes()).extracting(n -> n.op().opName())
        .containsExactly("Transpose", "Conv2D", "Transpose");
  }

  /** The imported NCHW convolution computes what a direct NCHW/OIHW loop computes. */
  @Test
  void convMatchesDirectNchwComputation() {
    Graph g = OnnxImporter.load(conv(), "conv");
    Random r = new Random(42);
    float[] x = new float[75];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() * 2 - 1;
    }
    float[] got = new Interpreter(g).run(List.of(Tensor.ofFloats(Shape.of(1, 3, 5, 5), x)))
        .get(0).floats;
    float[] w = new float[54];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 7) * 0.25f - 0.5f;
    }
    float[] bias = {0.5f, -1f};
    for (int m = 0; m < 2; m++) {
      for (int oy = 0; oy < 3; oy++) {
        for (int ox = 0; ox < 3; ox++) {
          double acc = bias[m];
          for (int c = 0; c < 3; c++) {
            for (int ky = 0; ky < 3; ky++) {
              for (int kx = 0; kx < 3; kx++) {
                int iy = oy * 2 - 1 + ky;
                int ix = ox * 2 - 1 + kx;
                if (iy >= 0 && iy < 5 && ix >= 0 && ix < 5) {
                  acc += x[(c * 5 + iy) * 5 + ix] * w[((m * 3 + c) * 3 + ky) * 3 + kx];
                }
              }
            }
          }
          assertThat(got[(m * 3 + oy) * 3 + ox]).isCloseTo((float) acc,
              org.assertj.core.api.Assertions.within(1e-5f));
        }
      }
    }
  }

  @Test
  void qdqPairMapsToQuantizeAndDequantize() {
    byte[] m = new TinyOnnx().input("x", TinyOnnx.FLOAT, 4)
        .floats("s", new float[] {0.5f}).ints("z", TinyOnnx.INT8, new long[] {3})
        .node("QuantizeLinear", List.of("x", "s", "z"), List.of("q"))
        .node("DequantizeLinear", List.of("q", "s", "z"), List.of("y"))
        .output("y", TinyOnnx.FLOAT, 4).bytes();
    Graph g = OnnxImporter.load(m, "qdq");
    assertThat(GraphPrinter.print(g)).contains("%3 = Quantize(%2) {scheme=FLOAT_HALF_EVEN} : i8[4]"
        + " q(0.5, 3)").contains("Dequantize(");
    // Ties round to even: 0.25/0.5 = 0.5 -> 0, 0.75/0.5 = 1.5 -> 2; then back to real values.
    float[] y = new Interpreter(g).run(List.of(Tensor.ofFloats(Shape.of(4),
        new float[] {0.25f, 0.75f, -0.75f, 100f}))).get(0).floats;
    assertThat(y).containsExactly(0f, 1f, -1f, 62f);
  }

  @Test
  void malformedBytesAreAOneLineError() {
    byte[] junk = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02};
    assertThatThrownBy(() -> OnnxImporter.load(junk, "junk"))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith("junk is not a valid ONNX model (malformed protobuf")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void truncatedFileIsAnError() {
    byte[] whole = conv();
    byte[] cut = Arrays.copyOf(whole, whole.length / 2);
    assertThatThrownBy(() -> OnnxImporter.load(cut, "cut"))
        .isInstanceOf(KilnException.class).hasMessageContaining("cut is not")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void emptyFileIsAnError() {
    assertThatThrownBy(() -> OnnxImporter.load(new byte[0], "empty"))
        .isInstanceOf(KilnException.class).hasMessage("empty is empty, not an ONNX model");
  }

  @Test
  void unknownOperatorIsNamedWithItsNodeAndTheSupportedList() {
    byte[] m = new TinyOnnx().input("x", TinyOnnx.FLOAT, 2)
        .node("Relu", List.of("x"), List.of("r"))
        .node("Frobnicate", List.of("r"), List.of("y"))
        .output("y", TinyOnnx.FLOAT, 2).bytes();
    assertThatThrownBy(() -> OnnxImporter.load(m, "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith("node 1 (Frobnicate): unknown operator 'Frobnicate'; supported:")
        .hasMessageContaining("Conv").hasMessageContaining("QLinearConv");
  }

  @Test
  void unsupportedOpsetSaysWhichAndWhatIsSupported() {
    for (long v : new long[] {3, 99}) {
      byte[] m = new TinyOnnx().opset(v).input("x", TinyOnnx.FLOAT, 2)
          .node("Relu", List.of("x"), List.of("y")).output("y", TinyOnnx.FLOAT, 2).bytes();
      assertThatThrownBy(() -> OnnxImporter.load(m, "m"))
          .isInstanceOf(KilnException.class)
          .hasMessage("m: unsupported opset ai.onnx version " + v + "; Kiln supports ai.onnx"
              + " opset versions 7 to 25");
    }
  }

  @Test
  void missingInitializerIsNamed() {
    byte[] m = new TinyOnnx().input("x", TinyOnnx.FLOAT, 2)
        .node("Add", List.of("x", "bias"), List.of("y")).output("y", TinyOnnx.FLOAT, 2).bytes();
    assertThatThrownBy(() -> OnnxImporter.load(m, "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith("node 0 (Add): input 'bias' is not defined")
        .hasMessageContaining("missing initializer");
  }

  @Test
  void declaredOutputShapeThatDisagreesIsInconsistent() {
    byte[] m = new TinyOnnx().input("x", TinyOnnx.FLOAT, 3)
        .node("Relu", List.of("x"), List.of("y")).output("y", TinyOnnx.FLOAT, 4).bytes();
    assertThatThrownBy(() -> OnnxImporter.load(m, "m"))
        .isInstanceOf(KilnException.class)
        .hasMessage("m: inconsistent shapes: graph output 'y' is declared f32[4] but its"
            + " operators compute f32[3]");
  }

  @Test
  void operandsThatDoNotBroadcastAreInconsistent() {
    byte[] m = new TinyOnnx().input("x", TinyOnnx.FLOAT, 3).input("z", TinyOnnx.FLOAT, 4)
        .node("Add", List.of("x", "z"), List.of("y")).output("y", TinyOnnx.FLOAT, 4).bytes();
    assertThatThrownBy(() -> OnnxImporter.load(m, "m"))
        .isInstanceOf(KilnException.class).hasMessageContaining("do not broadcast");
  }

  @Test
  void runtimeShapeInputIsRejectedUnlessBound() {
    byte[] m = new TinyOnnx().input("x", TinyOnnx.FLOAT, 2, 3)
        .input("shape", TinyOnnx.INT64, 1)
        .node("Reshape", List.of("x", "shape"), List.of("y")).output("y", TinyOnnx.FLOAT, 6)
        .bytes();
    assertThatThrownBy(() -> OnnxImporter.load(m, "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith("node 0 (Reshape): shape (input 1 'shape') must be a constant");
    assertThat(OnnxImporter.staticInputNames(m, "m")).containsExactly("shape");
    var shape = ai.onnx.proto.OnnxMl.TensorProto.newBuilder().setName("shape")
        .setDataType(TinyOnnx.INT64).addDims(1).addInt64Data(6).build();
    Graph g = OnnxImporter.load(m, "m", java.util.Map.of("shape", shape));
    assertThat(g.inputs()).hasSize(1);
    assertThat(g.outputValues().get(0).shape()).isEqualTo(Shape.of(6));
  }

  @Test
  void dynamicInputDimensionIsRejected() {
    byte[] m = new TinyOnnx().input("x", TinyOnnx.FLOAT, 2)
        .node("Relu", List.of("x"), List.of("y")).output("y", TinyOnnx.FLOAT, 2).bytes();
    var model = parse(m).toBuilder();
    model.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder()
        .getShapeBuilder().getDimBuilder(0).setDimParam("N");
    assertThatThrownBy(() -> OnnxImporter.load(model.build().toByteArray(), "m"))
        .isInstanceOf(KilnException.class).hasMessageContaining("dynamic dimension 'N'");
  }

  private static ai.onnx.proto.OnnxMl.ModelProto parse(byte[] b) {
    try {
      return ai.onnx.proto.OnnxMl.ModelProto.parseFrom(b);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
