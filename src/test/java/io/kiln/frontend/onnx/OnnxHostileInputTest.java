package io.kiln.frontend.onnx;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.AttributeProto;
import io.kiln.KilnException;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hostile ONNX input: axis attributes range-checked against the rank, names that break lines. */
class OnnxHostileInputTest {
  private static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(v).build();
  }

  @ParameterizedTest
  @ValueSource(ints = {11, 13})
  void softmaxAxisBeyondTheRankIsRefused(int opset) {
    byte[] m = new TinyOnnx().opset(opset).input("x", TinyOnnx.FLOAT, 2, 3)
        .node("Softmax", List.of("x"), List.of("y"), intAttr("axis", 77))
        .output("y", TinyOnnx.FLOAT, 2, 3).bytes();
    assertThatThrownBy(() -> OnnxImporter.load(m, "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("Softmax").hasMessageContaining("axis 77")
        .hasMessageContaining("rank 2");
  }

  @ParameterizedTest
  @ValueSource(longs = {77, -3, 1L << 33})
  void otherAxisAttributesAreRangeChecked(long axis) {
    byte[] concat = new TinyOnnx().input("a", TinyOnnx.FLOAT, 2, 3).input("b", TinyOnnx.FLOAT, 2, 3)
        .node("Concat", List.of("a", "b"), List.of("y"), intAttr("axis", axis))
        .output("y", TinyOnnx.FLOAT, 4, 3).bytes();
    assertThatThrownBy(() -> OnnxImporter.load(concat, "m"))
        .isInstanceOf(KilnException.class).hasMessageContaining("axis");
    byte[] flatten = new TinyOnnx().input("x", TinyOnnx.FLOAT, 2, 3)
        .node("Flatten", List.of("x"), List.of("y"), intAttr("axis", axis))
        .output("y", TinyOnnx.FLOAT, 2, 3).bytes();
    assertThatThrownBy(() -> OnnxImporter.load(flatten, "m"))
        .isInstanceOf(KilnException.class).hasMessageContaining("axis");
  }

  /** Found by OnnxFuzzTest: a line break in a name made the error two lines. */
  @org.junit.jupiter.api.Test
  void namesWithLineBreaksStayOnOneLine() {
    byte[] m = new TinyOnnx().input("x\n", TinyOnnx.FLOAT)
        .node("Relu", List.of("x\n"), List.of("y\r\n"))
        .output("y\r\n", TinyOnnx.FLOAT, 2).bytes();
    assertThatThrownBy(() -> OnnxImporter.load(m, "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageNotContaining("\n").hasMessageNotContaining("\r")
        .hasMessageContaining("'y??'");
  }

  @org.junit.jupiter.api.Test
  void everyUnknownOperatorIsNamedWithItsCount() {
    byte[] m = new TinyOnnx().input("x", TinyOnnx.FLOAT, 2)
        .node("Frobnicate", List.of("x"), List.of("a"))
        .node("Relu", List.of("a"), List.of("b"))
        .node("Frobnicate", List.of("b"), List.of("c"))
        .node("Wibble", List.of("c"), List.of("y"))
        .output("y", TinyOnnx.FLOAT, 2).bytes();
    assertThatThrownBy(() -> OnnxImporter.load(m, "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith("m: unknown operators 'Frobnicate' (2x), 'Wibble'; supported:");
  }
}
