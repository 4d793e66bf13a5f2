package io.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.NmWeights;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.passes.NmRecognition;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln prune}: the report, the written model, and one-line errors for bad requests. */
class PruneCommandTest {
  @TempDir
  Path dir;

  @Test
  void prunesTheInt8ResnetsSpatialConvolutionsAndTheModelIsRecognizedAgain() throws IOException {
    Path out = dir.resolve("r.tflite");
    CliRunner.Result r = CliRunner.kiln("prune",
        SharedModels.file("mlperf-tiny/pretrainedResnet_quant.tflite").toString(), "--nm", "1:8",
        "--layers", "conv3x3", "--samples", "2", "-o", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("pruned 7 layers of pretrainedResnet_quant to 1:8")
        .contains("87.50%").contains("SQNR dB").contains("top-1 agreement");
    Graph g = NmRecognition.apply(io.kiln.passes.Pipeline.DEFAULT.apply(TfliteImporter.load(out)));
    int sparse = 0;
    for (var n : g.nodes()) {
      if (n.op() instanceof Op.Conv2D) {
        Value w = g.input(n, Op.Conv2D.FILTER);
        boolean pointwise = w.shape().dim(1) == 1;
        assertThat(w.type().encoding()).isEqualTo(pointwise ? Encoding.DENSE
            : new Encoding.NM(1, 8));
        sparse += pointwise ? 0 : 1;
        if (!pointwise) {
          assertThat(NmWeights.follows(w.data().asInts(DType.INT8), w.shape().dim(0),
              new Encoding.NM(1, 8))).isTrue();
        }
      }
    }
    assertThat(sparse).isEqualTo(7);
    CliRunner.Result inspect = CliRunner.kiln("inspect", out.toString());
    assertThat(inspect.out()).contains("const:i8[16,3,3,16]{1:8}");
  }

  @Test
  void prunesTheFloatResnetWhichStaysFloat() throws IOException {
    Path out = dir.resolve("f.tflite");
    CliRunner.Result r = CliRunner.kiln("prune",
        SharedModels.file("mlperf-tiny/pretrainedResnet.tflite").toString(), "--nm", "1:4",
        "--layers", "fc", "--samples", "2", "-o", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("pruned 1 layer of").contains("FullyConnected");
    Graph g = TfliteImporter.load(out);
    assertThat(g.inputValues().get(0).dtype()).isEqualTo(DType.FLOAT32);
  }

  @Test
  void badFormatsUnknownLayersAndModelsWithoutPrunableLayersAreOneLineErrors() {
    String ds = "builtin:ds_cnn";
    String o = dir.resolve("x.tflite").toString();
    for (String[] args : new String[][] {
        {"prune", ds, "--nm", "3:4", "-o", o},
        {"prune", ds, "--nm", "1:5", "-o", o},
        {"prune", ds, "--nm", "1:4", "--layers", "conv9", "-o", o},
        {"prune", SharedModels.file("onnx-node/test_add/model.onnx").toString(), "--nm", "1:4",
            "-o", o}}) {
      CliRunner.Result r = CliRunner.kiln(args);
      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.err().strip()).startsWith("kiln: ").doesNotContain("\n");
      assertThat(Files.exists(Path.of(o))).isFalse();
    }
    assertThat(CliRunner.kiln("prune", ds, "--nm", "3:4", "-o", o).err())
        .contains("--nm 3:4 is not supported");
    assertThat(CliRunner.kiln("prune", ds, "--nm", "1:4", "--layers", "conv9", "-o", o).err())
        .contains("no layer named 'conv9'");
    assertThat(CliRunner.kiln("prune", SharedModels.file("onnx-node/test_add/model.onnx")
        .toString(), "--nm", "1:4", "-o", o).err()).contains("has no prunable layer");
  }

  /**
   * The rest of what a request can get wrong: formats the encoding has but the CLI does not take
   * (2:4), malformed formats, a layer that exists but is not prunable, a class that selects no
   * layer, an empty entry. One line naming it, exit 2, nothing written.
   */
  @Test
  void otherBadRequestsAreOneLineErrorsToo() {
    String ds = "builtin:ds_cnn";
    String o = dir.resolve("y.tflite").toString();
    Graph g = io.kiln.passes.Pipeline.DEFAULT.apply(io.kiln.models.ModelSource.load(ds));
    String softmax = g.nodes().stream().filter(n -> n.op() instanceof Op.Softmax)
        .map(n -> g.output(n).name()).findFirst().orElseThrow();
    String ad01 = SharedModels.file("mlperf-tiny/ad01_int8.tflite").toString();
    String[][] cases = {
        {"--nm 2:4 is not supported", ds, "--nm", "2:4"},
        {"--nm 0:4 is not supported", ds, "--nm", "0:4"},
        {"--nm 1:4:2 is not supported", ds, "--nm", "1:4:2"},
        {"--nm x is not supported", ds, "--nm", "x"},
        {"layer '" + softmax + "' is not prunable", ds, "--nm", "1:4", "--layers", softmax},
        {"--layers conv selects no layer of ad01_int8", ad01, "--nm", "1:8", "--layers", "conv"},
        {"has an empty entry", ds, "--nm", "1:4", "--layers", "conv,"}};
    for (String[] c : cases) {
      List<String> args = new java.util.ArrayList<>(List.of("prune"));
      args.addAll(List.of(c).subList(1, c.length));
      args.addAll(List.of("-o", o));
      CliRunner.Result r = CliRunner.kiln(args.toArray(String[]::new));
      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.err().strip()).as(String.join(" ", args)).startsWith("kiln: ").contains(c[0])
          .doesNotContain("\n");
      assertThat(Files.exists(Path.of(o))).isFalse();
    }
  }

  /**
   * An output path that cannot be written is refused before pruning (one line naming it, no
   * report, nothing written), and --samples beside --calibration is refused, not ignored.
   */
  @Test
  void anUnwritableOutputOrSamplesBesideCalibrationFailBeforePruning() throws IOException {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    Path cal = Files.write(dir.resolve("cal.bin"), new byte[490]);
    String[][] cases = {
        {"cannot write " + dir.resolve("missing/p.tflite") + ": no such directory",
            "-o", dir.resolve("missing/p.tflite").toString()},
        {"cannot write " + file.resolve("p.tflite") + ": no such directory",
            "-o", file.resolve("p.tflite").toString()},
        {dir + " is a directory", "-o", dir.toString()},
        {"give either --calibration or --samples, not both", "--calibration", cal.toString(),
            "--samples", "4", "-o", dir.resolve("p.tflite").toString()}};
    for (String[] c : cases) {
      List<String> args = new java.util.ArrayList<>(List.of("prune", "builtin:ds_cnn", "--nm", "1:4"));
      args.addAll(List.of(c).subList(1, c.length));
      CliRunner.Result r = CliRunner.kiln(args.toArray(String[]::new));
      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.out()).as("no report before the error").isEmpty();
      assertThat(r.errLine()).as(String.join(" ", args)).startsWith("kiln: ").contains(c[0])
          .doesNotContain("\n").doesNotContain(".tmp");
    }
    assertThat(dir.resolve("p.tflite")).doesNotExist();
    // With calibration data alone the report runs on it.
    CliRunner.Result ok = CliRunner.kiln("prune", "builtin:ds_cnn", "--nm", "1:4", "--calibration",
        cal.toString(), "-o", dir.resolve("p.tflite").toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("report on 1 calibration input:");
  }

  /** {@code -o X.onnx} writes an ONNX model (it was the text form) that imports and runs. */
  @Test
  void anOnnxOutputIsAnOnnxModel() throws IOException {
    Path out = dir.resolve("p.onnx");
    CliRunner.Result r = CliRunner.kiln("prune", "builtin:ds_cnn", "--nm", "1:8", "--layers",
        "fc", "--samples", "2", "-o", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("wrote " + out + " (ONNX model)");
    Graph g = io.kiln.frontend.onnx.OnnxImporter.load(out);
    assertThat(g.nodes()).isNotEmpty();
    CliRunner.Result run = CliRunner.kiln("run", out.toString(), "--random-input", "1",
        "--output-dir", dir.resolve("run").toString());
    assertThat(run.code()).as(run.err()).isZero();
  }
}
