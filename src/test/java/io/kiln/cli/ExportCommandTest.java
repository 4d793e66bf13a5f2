package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.onnx.OnnxImporter;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Value;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln export}: both formats, and one-line errors that leave no file behind. */
class ExportCommandTest {
  @TempDir
  Path tmp;

  @Test
  void tfliteModelReExportsToTheSameGraph() {
    Path model = SharedModels.file("mlperf-tiny/kws_ref_model.tflite");
    Path out = tmp.resolve("kws_ref_model.tflite");
    CliRunner.Result r = kiln("export", model.toString(), "--format", "tflite", "-o",
        out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("wrote " + out + " (tflite, ").endsWith(" 13 operators)\n");
    assertThat(GraphPrinter.print(TfliteImporter.load(out)))
        .isEqualTo(GraphPrinter.print(TfliteImporter.load(model)));
  }

  @Test
  void floatModelExportsToOnnxThatKilnReadsBackAndRunsAlike() {
    Path model = SharedModels.file("tflm/hello_world/hello_world_float.tflite");
    Path out = tmp.resolve("hello.onnx");
    CliRunner.Result r = kiln("export", model.toString(), "--format", "ONNX", "-o",
        out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    Graph original = TfliteImporter.load(model);
    Graph back = OnnxImporter.load(out);
    Value in = original.inputValues().get(0);
    Random rnd = new Random(1);
    for (int i = 0; i < 10; i++) {
      Tensor x = Tensor.ofFloats(in.shape(), new float[] {(float) (rnd.nextDouble() * 6.28)});
      float want = new Interpreter(original).run(List.of(x)).get(0).floats[0];
      float got = new Interpreter(back).run(List.of(x)).get(0).floats[0];
      assertThat(got).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5f));
    }
  }

  @Test
  void operatorWithoutATfliteEquivalentExitsTwoAndWritesNothing() throws IOException {
    Path model = SharedModels.file("onnx-node/test_div/model.onnx");
    Path out = tmp.resolve("div.tflite");
    CliRunner.Result r = kiln("export", model.toString(), "--format", "tflite", "-o",
        out.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: cannot export to tflite: node 0 (Div) has no"
        + " TFLite operator in Kiln's writer");
    assertThat(out).doesNotExist();
    try (var files = Files.list(tmp)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void operatorWithoutAnOnnxMappingLeavesAnExistingFileUntouched() throws IOException {
    Path model = SharedModels.file("tflm/seanet/transpose_conv/transpose_conv0.tflite");
    Path out = Files.writeString(tmp.resolve("old.onnx"), "previous");
    CliRunner.Result r = kiln("export", model.toString(), "--format", "onnx", "-o",
        out.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: cannot export to onnx: node 0 (TransposeConv)")
        .doesNotContain("\n");
    assertThat(Files.readString(out)).isEqualTo("previous");
    try (var files = Files.list(tmp)) {
      assertThat(files).containsExactly(out);
    }
  }

  @Test
  void unwritableOutputExitsTwoWithOneLine() {
    Path missingDir = tmp.resolve("no/such/dir/m.onnx");
    CliRunner.Result r = kiln("export", "builtin:ds_cnn", "--format", "onnx", "-o",
        missingDir.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: ").contains("no such file or directory")
        .doesNotContain("\n");
    assertThat(missingDir).doesNotExist();

    CliRunner.Result d = kiln("export", "builtin:ds_cnn", "--format", "tflite", "-o",
        tmp.toString());
    assertThat(d.code()).isEqualTo(2);
    assertThat(d.errLine()).isEqualTo("kiln: cannot write " + tmp + ": it is a directory");
  }

  @Test
  void unknownFormatAndMissingOptionsExitTwo() {
    CliRunner.Result r = kiln("export", "builtin:ds_cnn", "--format", "caffe", "-o",
        tmp.resolve("x").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: unknown export format 'caffe': expected onnx or"
        + " tflite");
    CliRunner.Result m = kiln("export", "builtin:ds_cnn", "-o", tmp.resolve("x").toString());
    assertThat(m.code()).isEqualTo(2);
    assertThat(m.errLine()).contains("--format").doesNotContain("\n");
    assertThat(tmp.resolve("x")).doesNotExist();
  }
}
