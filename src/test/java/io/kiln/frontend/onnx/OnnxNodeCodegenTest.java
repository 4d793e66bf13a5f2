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
 * ONNX backend node tests compiled to C, built with ASan and UBSan and run on the test's own
 * inputs: the output equals the interpreter's byte for byte, and ONNX's expected output exactly
 * for Gather (data and int64 indices both runtime inputs; a gather only copies) and within
 * OnnxNodeTestsTest's float tolerance for MatMul (ONNX's reference sums in another order).
 */
class OnnxNodeCodegenTest {
  @TempDir
  Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"test_gather_0", "test_gather_1"})
  void gatherReproducesOnnxOutputsExactly(String name) throws IOException {
    byte[] expected = expected(name);
    byte[] generated = run(name);
    assertThat(java.util.Arrays.copyOf(generated, expected.length)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"test_matmul_2d", "test_matmul_3d", "test_matmul_4d",
      "test_matmul_bcast"})
  void floatMatMulReproducesOnnxOutputs(String name) throws IOException {
    java.nio.ByteBuffer want = java.nio.ByteBuffer.wrap(expected(name))
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    java.nio.ByteBuffer got = java.nio.ByteBuffer.wrap(run(name))
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    while (want.hasRemaining()) {
      float e = want.getFloat();
      assertThat((double) got.getFloat()).isCloseTo(e,
          org.assertj.core.data.Offset.offset(1e-5 + 1e-4 * Math.abs(e)));
    }
  }

  private static byte[] expected(String name) throws IOException {
    return OnnxTensors.decode(TensorProto.parseFrom(Files.readAllBytes(SharedModels.file(
        "onnx-node/" + name + "/test_data_set_0/output_0.pb")))).toTensor().toBytes();
  }

  /** Builds the node test's model and runs it on its inputs; the first output, all samples. */
  private byte[] run(String name) throws IOException {
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
    return CodegenParity.lastOutputs(dir).get(0);
  }
}
