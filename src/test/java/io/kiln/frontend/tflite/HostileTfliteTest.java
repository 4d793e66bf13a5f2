package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tensorflow.lite.schema.TensorType.INT32;
import static org.tensorflow.lite.schema.TensorType.INT8;

import io.kiln.KilnException;
import io.kiln.cli.Main;
import io.kiln.ir.Graph;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.lite.schema.BuiltinOperator;

/**
 * TFLite files that are well-formed flatbuffers but hostile: invalid quantization parameters, no
 * outputs, unsupported operators, a missing (optional) file identifier. Each is refused on import
 * with one line naming the tensor and the value, so run, compile and plan agree.
 */
class HostileTfliteTest {
  @TempDir
  Path tmp;

  /** One int8 fully-connected layer [1,4] x [3,4] -> [1,3] with the given parameters. */
  private static TinyTflite fc(float inScale, long inZero, float[] wScales, long[] wZeros,
      long outZero) {
    TinyTflite m = new TinyTflite();
    int x = m.quantized("x", INT8, new int[] {1, 4}, new float[] {inScale},
        new long[] {inZero}, 0, null);
    int w = m.quantized("w", INT8, new int[] {3, 4}, wScales, wZeros, 0,
        new byte[] {1, 2, 3, 4, -1, -2, -3, -4, 5, 6, 7, 8});
    float[] biasScales = new float[wScales.length];
    for (int i = 0; i < wScales.length; i++) {
      biasScales[i] = inScale * wScales[i];
    }
    int b = m.quantized("b", INT32, new int[] {3}, biasScales, new long[wScales.length], 0,
        new byte[12]);
    int y = m.quantized("y", INT8, new int[] {1, 3}, new float[] {0.1f}, new long[] {outZero}, 0,
        null);
    m.op(BuiltinOperator.FULLY_CONNECTED, new int[] {x, w, b}, new int[] {y})
        .io(new int[] {x}, new int[] {y});
    return m;
  }

  private static TinyTflite fcWeights(float wScale, long wZero) {
    return fc(0.5f, 0, new float[] {wScale}, new long[] {wZero}, 0);
  }

  @Test
  void aValidLayerImports() {
    Graph g = TfliteImporter.load(fcWeights(0.01f, 0).build(), "fc");
    assertThat(g.nodes()).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(floats = {0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0.5f})
  void weightScalesMustBeFinitePositive(float scale) {
    assertThatThrownBy(() -> TfliteImporter.load(fcWeights(scale, 0).build(), "fc"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("'w'").hasMessageContaining("scale " + scale)
        .hasMessageContaining("finite and positive");
  }

  @Test
  void perChannelScalesAreCheckedOneByOne() {
    TinyTflite m = fc(0.5f, 0, new float[] {0.01f, Float.NaN, 0.02f}, new long[3], 0);
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "fc"))
        .hasMessageContaining("'w'").hasMessageContaining("channel 1")
        .hasMessageContaining("scale NaN");
  }

  @Test
  void zeroPointsMustFitTheDtype() {
    assertThatThrownBy(() -> TfliteImporter.load(fcWeights(0.01f, 200).build(), "fc"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("'w'").hasMessageContaining("zero point 200")
        .hasMessageContaining("[-128, 127]");
    assertThatThrownBy(() -> TfliteImporter.load(fc(0.5f, 1L << 40, new float[] {0.01f},
        new long[1], 0).build(), "fc"))
        .hasMessageContaining("'x'").hasMessageContaining("zero point 1099511627776");
    assertThatThrownBy(() -> TfliteImporter.load(fc(0.5f, 0, new float[] {0.01f},
        new long[1], -129).build(), "fc"))
        .hasMessageContaining("'y'").hasMessageContaining("zero point -129");
  }

  @Test
  void anUnrepresentableMultiplierIsRefused() {
    TinyTflite m = fc(3e38f, 0, new float[] {0.01f}, new long[1], 0);
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "fc"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("'y'").hasMessageContaining("multiplier")
        .hasMessageContaining("3.0E38");
  }

  private String[] cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void runCompileAndPlanRefuseTheHugeInputScaleAlike() throws IOException {
    Path model = Files.write(tmp.resolve("huge_scale.tflite"),
        fc(3e38f, 0, new float[] {0.01f}, new long[1], 0).build());
    String[][] results = {
        cli("run", model.toString(), "--random-input", "1", "--output-dir",
            tmp.resolve("run").toString()),
        cli("compile", model.toString(), "-o", tmp.resolve("c").toString()),
        cli("plan", model.toString(), "--target", "cpu")};
    for (String[] r : results) {
      assertThat(r[0]).as(r[2]).isEqualTo("2");
      assertThat(r[2].strip()).startsWith("kiln: ").doesNotContain("\n")
          .doesNotContain("internal error").contains("'y'").contains("multiplier");
    }
    assertThat(tmp.resolve("run")).doesNotExist();
    assertThat(tmp.resolve("c")).doesNotExist();
  }

  @Test
  void aModelWithoutOutputsIsRefused() {
    TinyTflite m = fcWeights(0.01f, 0);
    m.io(new int[] {0}, new int[0]);
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "fc"))
        .isInstanceOf(KilnException.class).hasMessageContaining("no outputs");
  }

  @Test
  void theFileIdentifierIsOptional() {
    byte[] without = fcWeights(0.01f, 0).withoutIdentifier().build();
    assertThat(new String(without, 4, 4, java.nio.charset.StandardCharsets.US_ASCII))
        .isNotEqualTo("TFL3");
    Graph g = TfliteImporter.load(without, "fc");
    assertThat(g.nodes()).hasSize(1);
  }

  @Test
  void everyUnsupportedOperatorIsNamedWithItsCount() throws IOException {
    TinyTflite m = new TinyTflite();
    int x = m.tensor("x", INT8, new int[] {1, 4}, 0.5f, 0);
    int a = m.tensor("a", INT8, new int[] {1, 4}, 0.5f, 0);
    int b = m.tensor("b", INT8, new int[] {1, 4}, 0.5f, 0);
    int c = m.tensor("c", INT8, new int[] {1, 4}, 0.5f, 0);
    m.custom("KilnNoSuchOpA", new int[] {x}, new int[] {a})
        .custom("KilnNoSuchOpB", new int[] {a}, new int[] {b})
        .custom("KilnNoSuchOpA", new int[] {b}, new int[] {c})
        .io(new int[] {x}, new int[] {c});
    assertThatThrownBy(() -> TfliteImporter.load(m.build(), "custom"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("CUSTOM:KilnNoSuchOpA (2x, first operator 0)")
        .hasMessageContaining("CUSTOM:KilnNoSuchOpB (operator 1)");
    Path model = Files.write(tmp.resolve("custom.tflite"), m.build());
    String[] r = cli("inspect", model.toString());
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[2].strip()).doesNotContain("\n").contains("CUSTOM:KilnNoSuchOpA (2x, first operator 0)")
        .contains("CUSTOM:KilnNoSuchOpB (operator 1)");
  }
}
