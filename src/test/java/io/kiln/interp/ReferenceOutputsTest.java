package io.kiln.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.KilnException;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The interpreter against outputs that TensorFlow Lite Micro (bit-exact, integer models) and
 * LiteRT (float models, 1e-4 relative) computed for the shared models, every case and every
 * sample of each {@code rand16} batch.
 */
class ReferenceOutputsTest {
  private static final double FLOAT_RTOL = 1e-4;
  private static final double FLOAT_ATOL = 1e-6;

  /** Models whose reference is TFLM bit for bit. */
  private static final List<String> EXACT = List.of("kws_ref_model", "vww_96_int8",
      "pretrainedResnet_quant", "ad01_int8", "model_ToyCar_quant_fullint_micro",
      "micro_speech_quantized", "person_detect", "hello_world_int8", "audio_preprocessor_int8");

  /** Float models compared with LiteRT's outputs. */
  private static final List<String> FLOAT = List.of("ad01_fp32", "pretrainedResnet",
      "vww_96_float", "hello_world_float");

  @TestFactory
  Stream<DynamicTest> integerModelsMatchTflmBitForBit() throws IOException {
    return cases(EXACT, "tflm").stream().map(c -> dynamicTest(c.toString(), () -> {
      List<byte[]> actual = c.run();
      for (int o = 0; o < actual.size(); o++) {
        byte[] expected = Files.readAllBytes(c.outputFile(o));
        assertThat(actual.get(o)).as("%s output %d", c, o).hasSize(expected.length);
        int mismatches = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
          if (expected[i] != actual.get(o)[i]) {
            mismatches++;
            first = first < 0 ? i : first;
          }
        }
        assertThat(mismatches).as("%s output %d: %d bytes differ, first at byte %d", c, o,
            mismatches, first).isZero();
      }
    }));
  }

  /**
   * Float models against LiteRT (XNNPACK): within 1e-4 of the output's largest magnitude. An
   * element-wise relative bound is not meaningful here: LiteRT itself differs from TFLM's
   * reference kernels by up to 4.9e-4 relative on small ad01_fp32 outputs (max |diff| 0.005 on
   * outputs up to 62.5), because XNNPACK sums in another order.
   */
  @TestFactory
  Stream<DynamicTest> floatModelsMatchLiteRt() throws IOException {
    return cases(FLOAT, "litert").stream().map(c -> dynamicTest(c.toString(), () -> {
      List<byte[]> actual = c.run();
      for (int o = 0; o < actual.size(); o++) {
        float[] exp = floats(Files.readAllBytes(c.outputFile(o)));
        float[] act = floats(actual.get(o));
        assertThat(act).hasSameSizeAs(exp);
        double largest = 0;
        for (float e : exp) {
          largest = Math.max(largest, Math.abs(e));
        }
        double allowed = FLOAT_ATOL + FLOAT_RTOL * largest;
        for (int i = 0; i < exp.length; i++) {
          assertThat((double) Math.abs(act[i] - exp[i]))
              .as("%s output %d element %d: %s vs LiteRT %s", c, o, i, act[i], exp[i])
              .isLessThanOrEqualTo(allowed);
        }
      }
    }));
  }

  /** Float models follow TFLM's reference float kernels operation for operation: bit-exact. */
  @TestFactory
  Stream<DynamicTest> floatModelsMatchTflmBitForBit() throws IOException {
    return cases(FLOAT, "tflm").stream().map(c -> dynamicTest(c.toString(), () -> {
      List<byte[]> actual = c.run();
      for (int o = 0; o < actual.size(); o++) {
        assertThat(actual.get(o)).as("%s output %d", c, o)
            .isEqualTo(Files.readAllBytes(c.outputFile(o)));
      }
    }));
  }

  /**
   * The float front-end has no TFLM reference; it shares the int8 one's integer pipeline up to
   * the log, then scales by 1/25.6 where the int8 one maps the log to int8 as
   * clamp((log * 256 + 333) / 666 - 128). So every float feature, mapped that way, must give the
   * int8 reference byte.
   */
  @Test
  void floatAudioPreprocessorAgreesWithTheInt8Reference() throws IOException {
    Case floatCase = new Case("audio_preprocessor_int8",
        SharedModels.file("tflm/micro_speech/audio_preprocessor_float.tflite"), "yes_1000ms", 49,
        "tflm");
    byte[] out = floatCase.run().get(0);
    byte[] ref = Files.readAllBytes(floatCase.outputFile(0));
    ByteBuffer f = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(out).hasSize(ref.length * 4);
    for (int i = 0; i < ref.length; i++) {
      float feature = f.getFloat();
      double log = feature / 0.0390625;
      assertThat(log).as("feature %d", i).isEqualTo(Math.rint(log));
      long q = Math.max(-128, Math.min(127, ((long) log * 256 + 333) / 666 - 128));
      assertThat((byte) q).as("feature %d", i).isEqualTo(ref[i]);
    }
  }

  /** One reference case: a model, an input file set, a batch size and an engine's outputs. */
  record Case(String folder, Path model, String caseName, int batch, String engine) {
    Path dir() {
      return SharedModels.root().resolve("reference-outputs").resolve(folder);
    }

    Path inputFile(int k, int inputs) {
      return dir().resolve(caseName + (inputs == 1 ? ".in.bin" : ".in" + k + ".bin"));
    }

    Path outputFile(int k) {
      Path single = dir().resolve(caseName + ".out." + engine + ".bin");
      return Files.exists(single) ? single : dir().resolve(caseName + ".out" + k + "." + engine
          + ".bin");
    }

    /** Runs every sample in order and concatenates each output's bytes over the batch. */
    List<byte[]> run() throws IOException {
      Graph g = TfliteImporter.load(model);
      Interpreter interp = new Interpreter(g);
      List<Value> ins = g.inputValues();
      List<byte[]> inputBytes = new ArrayList<>();
      for (int k = 0; k < ins.size(); k++) {
        inputBytes.add(Files.readAllBytes(inputFile(k, ins.size())));
      }
      List<java.io.ByteArrayOutputStream> outs = new ArrayList<>();
      for (int o = 0; o < g.outputs().size(); o++) {
        outs.add(new java.io.ByteArrayOutputStream());
      }
      for (int s = 0; s < batch; s++) {
        List<Tensor> sample = new ArrayList<>();
        for (int k = 0; k < ins.size(); k++) {
          Value v = ins.get(k);
          int size = (int) v.type().bytes();
          assertThat(inputBytes.get(k).length).as("%s input %d size", this, k)
              .isEqualTo(size * batch);
          byte[] part = Arrays.copyOfRange(inputBytes.get(k), s * size, (s + 1) * size);
          sample.add(Tensor.fromBytes(v.dtype(), v.shape(), part));
        }
        List<Tensor> result = interp.run(sample);
        for (int o = 0; o < result.size(); o++) {
          outs.get(o).writeBytes(result.get(o).toBytes());
        }
      }
      return outs.stream().map(java.io.ByteArrayOutputStream::toByteArray).toList();
    }

    @Override
    public String toString() {
      return folder + "/" + caseName + (batch > 1 ? " (batch " + batch + ")" : "");
    }
  }

  /** All cases of the given folders for which {@code engine} produced outputs. */
  static List<Case> cases(List<String> folders, String engine) throws IOException {
    Path root = SharedModels.root();
    JsonNode index = new ObjectMapper().readTree(
        root.resolve("reference-outputs/index.json").toFile());
    List<Case> cases = new ArrayList<>();
    for (String folder : folders) {
      JsonNode entry = index.get(folder);
      Path model = root.resolve(entry.get("model").asText());
      for (Iterator<Map.Entry<String, JsonNode>> it = entry.get("cases").fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> c = it.next();
        String status = c.getValue().get("engines").path(engine).asText("");
        if (status.startsWith("ok")) {
          cases.add(new Case(folder, model, c.getKey(), c.getValue().get("batch").asInt(),
              engine));
        }
      }
      // rand16: 16 random samples with TFLM outputs, not listed in index.json.
      Path dir = root.resolve("reference-outputs").resolve(folder);
      if (engine.equals("tflm") && Files.exists(dir.resolve("rand16.out.tflm.bin"))) {
        cases.add(new Case(folder, model, "rand16", 16, engine));
      }
    }
    assertThat(cases).as("reference cases for %s", folders).isNotEmpty();
    return cases;
  }

  private static float[] floats(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    float[] f = new float[bytes.length / 4];
    for (int i = 0; i < f.length; i++) {
      f[i] = b.getFloat();
    }
    return f;
  }
}
