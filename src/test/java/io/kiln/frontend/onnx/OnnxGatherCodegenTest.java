package io.kiln.frontend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto;
import io.kiln.codegen.CodegenParity;
import io.kiln.ir.Graph;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX backend's Gather node tests (data and int64 indices both runtime inputs) compiled to
 * C: built with ASan and UBSan, run on the test's own inputs, the output must be ONNX's expected
 * output exactly (a gather only copies).
 */
class OnnxGatherCodegenTest {
  @TempDir
  Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"test_gather_0", "test_gather_1"})
  void generatedCReproducesOnnxOutputs(String name) throws IOException {
    Path folder = SharedModels.file("onnx-node/" + name);
    Graph g = OnnxImporter.load(Files.readAllBytes(folder.resolve("model.onnx")), name,
        Map.of());
    List<byte[]> inputs = new ArrayList<>();
    for (int i = 0; i < g.inputs().size(); i++) {
      byte[] one = OnnxTensors.decode(TensorProto.parseFrom(Files.readAllBytes(
          folder.resolve("test_data_set_0/input_" + i + ".pb")))).toTensor().toBytes();
      // CodegenParity runs a batch of samples: the same sample each time.
      byte[] batch = new byte[one.length * CodegenParity.BATCH];
      for (int s = 0; s < CodegenParity.BATCH; s++) {
        System.arraycopy(one, 0, batch, s * one.length, one.length);
      }
      inputs.add(batch);
    }
    Path dir = tmp.resolve(name);
    CodegenParity.assertMatchesInterpreter(g, dir, inputs);
    byte[] expected = OnnxTensors.decode(TensorProto.parseFrom(Files.readAllBytes(
        folder.resolve("test_data_set_0/output_0.pb")))).toTensor().toBytes();
    byte[] generated = CodegenParity.lastOutputs(dir).get(0);
    assertThat(java.util.Arrays.copyOf(generated, expected.length)).isEqualTo(expected);
  }
}
