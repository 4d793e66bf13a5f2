package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI reads .onnx models through the ONNX importer; bad files end in one line, exit 2. */
class OnnxCliTest {
  @TempDir
  Path tmp;

  @Test
  void malformedOnnxIsOneLineExitTwo() throws IOException {
    Path f = Files.write(tmp.resolve("bad.onnx"), new byte[] {(byte) 0xff, (byte) 0xff, 1});
    CliRunner.Result r = kiln("inspect", f.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: bad is not a valid ONNX model (malformed protobuf")
        .doesNotContain("\n");
  }

  @Test
  void onnxNodeTestModelInspects() {
    Path model = io.kiln.testing.SharedModels.root()
        .resolve("onnx-node/test_basic_conv_with_padding/model.onnx");
    CliRunner.Result r = kiln("inspect", model.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(0);
    assertThat(r.out()).contains("Conv2D").contains("Transpose");
  }
}
