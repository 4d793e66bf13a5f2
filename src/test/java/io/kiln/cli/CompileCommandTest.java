package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.analysis.CostAnalysis;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile} end to end: the library lands in OUT, the report reaches the terminal and
 * the JSON file, and every user error is one line, exit code 2, with nothing left in OUT.
 */
class CompileCommandTest {
  @TempDir
  Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void dsCnnWritesTheLibraryAndBothReports() throws IOException {
    Path out = tmp.resolve("ds_cnn");
    Path report = tmp.resolve("reports/ds_cnn.json");
    CliRunner.Result r = kiln("compile", "builtin:ds_cnn", "--target", "cpu", "-o",
        out.toString(), "--json", report.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(out.resolve("kiln_model.h")).exists();
    assertThat(out.resolve("kiln_model.c")).exists();
    assertThat(out.resolve("kiln_weights.c")).exists();
    assertThat(out.resolve("Makefile")).exists();
    assertThat(r.out()).contains("compiled model ds_cnn for target cpu")
        .containsPattern("arena_bytes +16,000 +at the lower bound")
        .containsPattern("arena_lower_bound_bytes +16,000")
        .containsPattern("arena_baseline_bytes +[0-9,]+")
        .containsPattern("weight_bytes +24,368")
        .containsPattern("macs +2,656,768")
        .contains("JSON report: " + report);
    // Either the sections of the compiled object or why they are missing.
    assertThat(r.out()).containsPattern("\\.bss +16,000|n/a +\\(no C compiler\\)");
    JsonNode j = JSON.readTree(report.toFile());
    checkJson(j, ModelSource.load("builtin:ds_cnn"));
    try (Stream<Path> left = Files.list(report.getParent())) {
      assertThat(left).as("no temporary file left beside the report").containsExactly(report);
    }
  }

  @Test
  void boardAddsBareMetalFilesAndUnknownBoardIsOneLine() {
    Path out = tmp.resolve("bm");
    CliRunner.Result r = kiln("compile", "builtin:ds_cnn", "--board", "mps2-an385", "-o",
        out.toString(), "--no-object-sizes");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(out.resolve("startup_mps2_an385.c")).exists();
    assertThat(out.resolve("mps2_an385.ld")).exists();
    assertThat(out.resolve("main_semihost.c")).exists();
    assertThat(out.resolve("Makefile.mps2-an385")).exists();

    Path bad = tmp.resolve("bad");
    CliRunner.Result e = kiln("compile", "builtin:ds_cnn", "--board", "stm32", "-o",
        bad.toString(), "--no-object-sizes");
    assertThat(e.code()).isEqualTo(2);
    assertThat(e.err().strip()).isEqualTo("kiln: unknown board 'stm32' (known: mps2-an385,"
        + " mps2-an386, mps2-an500, mps3-an547, riscv32-virt)");
    assertThat(bad).doesNotExist();
  }

  @Test
  void resnetWithoutObjectSizes() throws IOException {
    Path report = tmp.resolve("resnet.json");
    CliRunner.Result r = kiln("compile", "builtin:resnet", "-o", tmp.resolve("rn").toString(),
        "--json", report.toString(), "--no-object-sizes");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("macs +12,501,632")
        .contains("n/a  (not measured: --no-object-sizes)");
    JsonNode j = JSON.readTree(report.toFile());
    checkJson(j, ModelSource.load("builtin:resnet"));
    assertThat(j.get("object_sizes").get("available").asBoolean()).isFalse();
    assertThat(j.get("object_sizes").get("text_bytes").isNull()).isTrue();
  }

  @Test
  void mlperfKwsFromTflite() throws IOException {
    Path model = SharedModels.file("mlperf-tiny/kws_ref_model.tflite");
    Path report = tmp.resolve("kws.json");
    CliRunner.Result r = kiln("compile", model.toString(), "--target", "cpu", "-o",
        tmp.resolve("kws").toString(), "--json", report.toString(), "--no-object-sizes");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode j = JSON.readTree(report.toFile());
    checkJson(j, ModelSource.load(model.toString()));
    // MLPerf Tiny KWS: TFLite Micro needs 24,000 bytes of arena for it.
    assertThat(j.get("totals").get("arena_bytes").asLong()).isLessThanOrEqualTo(24_000);
    assertThat(r.out()).contains("arena_lower_bound_bytes");
  }

  /** The JSON report against the model: one row per operator, MACs as the analysis counts them. */
  private static void checkJson(JsonNode j, Graph g) {
    JsonNode layers = j.get("layers");
    assertThat(layers).hasSize(g.nodes().size());
    long macs = 0;
    for (JsonNode l : layers) {
      macs += l.get("macs").asLong();
      assertThat(l.get("storage").asText()).isIn("arena", "io");
      assertThat(l.get("arena_offset").isNull()).isEqualTo(l.get("storage").asText()
          .equals("io"));
      assertThat(l.get("scratch_bytes").asLong()).isZero();
      assertThat(l.get("output").get("shape").isArray()).isTrue();
    }
    long expected = CostAnalysis.analyze(g).macs();
    assertThat(macs).isEqualTo(expected);
    JsonNode t = j.get("totals");
    assertThat(t.get("macs").asLong()).isEqualTo(expected);
    assertThat(t.get("arena_bytes").asLong())
        .isGreaterThanOrEqualTo(t.get("arena_lower_bound_bytes").asLong())
        .isLessThanOrEqualTo(t.get("arena_baseline_bytes").asLong());
    assertThat(t.get("weight_bytes").asLong()).isPositive();
    assertThat(j.get("target").asText()).isEqualTo("cpu");
    assertThat(j.get("files")).extracting(JsonNode::asText).contains("kiln_model.h",
        "kiln_model.c", "kiln_weights.c");
  }

  @Test
  void unknownTargetListsTheTargets() {
    Path out = tmp.resolve("out");
    CliRunner.Result r = kiln("compile", "builtin:ds_cnn", "--target", "gpu", "-o",
        out.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("kiln: unknown target 'gpu'").doesNotContain("\tat ");
    assertThat(out).doesNotExist();
  }

  @Test
  void aCoreWithTheDspExtensionGetsDspKernelsAndSaysWhy() {
    Path out = tmp.resolve("m4");
    CliRunner.Result r = kiln("compile", "builtin:ds_cnn", "--target", "cpu:core=cortex-m4",
        "-o", out.toString(), "--no-object-sizes");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(out.resolve("kiln_dsp.h")).exists();
    assertThat(r.out()).contains("compiled model ds_cnn for target cpu:core=cortex-m4")
        .containsPattern("Conv2D .* dsp-gemm-1x1")
        .containsPattern("DepthwiseConv2D .* dsp-depthwise")
        .containsPattern("FullyConnected .* dsp-gemm-fc")
        .contains("kernel choices")
        .containsPattern("2 dsp-gemm-1x1: 1x1 filter, 64 input channels");
    // The board's core is the default core of a compile for that board.
    Path board = tmp.resolve("an386");
    CliRunner.Result b = kiln("compile", "builtin:ds_cnn", "--board", "mps2-an386", "-o",
        board.toString(), "--no-object-sizes");
    assertThat(b.code()).as(b.err()).isZero();
    assertThat(b.out()).contains("for target cpu:core=cortex-m4");
    assertThat(board.resolve("kiln_dsp.h")).exists();
    // The generic core is plain C everywhere and emits no DSP header.
    Path generic = tmp.resolve("generic");
    CliRunner.Result g = kiln("compile", "builtin:ds_cnn", "--target", "cpu:core=generic",
        "--board", "mps2-an386", "-o", generic.toString(), "--no-object-sizes");
    assertThat(g.code()).as(g.err()).isZero();
    assertThat(generic.resolve("kiln_dsp.h")).doesNotExist();
    assertThat(g.out()).doesNotContain("dsp-").doesNotContain("kernel choices");
  }

  /**
   * A CPU-only compile of a pruned model says per layer why it got the sparse kernel or stayed
   * dense, as the README promises (the reasons were only in --json, the text named them for DSP
   * kernels alone).
   */
  @Test
  void aPrunedModelsReportSaysWhichLayersRunSparseAndWhy() {
    Path pruned = tmp.resolve("ds_1x4.tflite");
    CliRunner.Result p = kiln("prune", "builtin:ds_cnn", "--nm", "1:4", "--samples", "1", "-o",
        pruned.toString());
    assertThat(p.code()).as(p.err()).isZero();
    CliRunner.Result auto = kiln("compile", pruned.toString(), "-o", tmp.resolve("auto").toString(),
        "--no-object-sizes");
    assertThat(auto.code()).as(auto.err()).isZero();
    assertThat(auto.out()).contains("kernel choices")
        .containsPattern("\\n  \\d+ (plain-c|sparse-1:4): 1:4 (weights stay dense|sparse)");
    CliRunner.Result always = kiln("compile", pruned.toString(), "--sparse", "always", "-o",
        tmp.resolve("always").toString(), "--no-object-sizes");
    assertThat(always.code()).as(always.err()).isZero();
    assertThat(always.out()).contains("kernel choices")
        .containsPattern("\\n  \\d+ sparse-1:4: 1:4 sparse \\(requested\\)");
    // A dense model's report has no such section.
    assertThat(kiln("compile", "builtin:ds_cnn", "-o", tmp.resolve("dense").toString(),
        "--no-object-sizes").out()).doesNotContain("kernel choices");
  }

  @Test
  void aDescriptionsCpuCoreFieldChoosesTheKernels() throws IOException {
    Path yaml = tmp.resolve("m7.yaml");
    Files.writeString(yaml, io.kiln.target.HardwareWriter.toYaml(
        io.kiln.target.Presets.get("cpu:core=cortex-m7")));
    assertThat(yaml).content().contains("core: cortex-m7");
    Path out = tmp.resolve("m7");
    CliRunner.Result r = kiln("compile", "builtin:ds_cnn", "--target", yaml.toString(), "-o",
        out.toString(), "--no-object-sizes");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(out.resolve("kiln_dsp.h")).exists();
    assertThat(r.out()).containsPattern("Conv2D .* dsp-gemm-1x1");
  }

  @Test
  void badCoresAndTargetsAreOneLine() {
    record Case(String[] args, String message) {}
    for (Case c : new Case[] {
        new Case(new String[] {"--target", "cpu:core=cortex-a53"},
            "kiln: target cpu: unknown core 'cortex-a53' (known: generic|cortex-m3|cortex-m4|"
                + "cortex-m7|cortex-m33|cortex-m55|rv32imc)"),
        new Case(new String[] {"--target", "cpu:cores=2"},
            "kiln: target cpu: unknown parameter 'cores=2'; syntax: cpu:core=generic|cortex-m3|"
                + "cortex-m4|cortex-m7|cortex-m33|cortex-m55|rv32imc"),
        new Case(new String[] {"--target", "cpu:core=cortex-m4", "--board", "mps2-an385"},
            "kiln: code for core cortex-m4 does not run on board mps2-an385 (cortex-m3)")}) {
      Path out = tmp.resolve("bad" + c.message().length());
      String[] args = new String[c.args().length + 4];
      args[0] = "compile";
      args[1] = "builtin:ds_cnn";
      System.arraycopy(c.args(), 0, args, 2, c.args().length);
      args[args.length - 2] = "-o";
      args[args.length - 1] = out.toString();
      CliRunner.Result r = kiln(args);
      assertThat(r.code()).as(String.join(" ", c.args())).isEqualTo(2);
      assertThat(r.err().strip()).isEqualTo(c.message());
      assertThat(out).doesNotExist();
    }
  }

  @Test
  void outputDirectoryUnderARegularFileIsRefused() throws IOException {
    Path file = Files.writeString(tmp.resolve("plain"), "x");
    Path out = file.resolve("out");
    CliRunner.Result r = kiln("compile", "builtin:ds_cnn", "-o", out.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: cannot write the output directory " + out + ": "
        + file + " is not a directory");
    assertThat(Files.readString(file)).isEqualTo("x");
  }

  @Test
  void outputDirectoryThatIsAFileIsRefused() throws IOException {
    Path file = Files.writeString(tmp.resolve("plain"), "x");
    CliRunner.Result r = kiln("compile", "builtin:ds_cnn", "-o", file.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).endsWith(file + " exists and is not a directory")
        .doesNotContain("\n");
    assertThat(Files.readString(file)).isEqualTo("x");
  }

  @Test
  void unwritableJsonReportIsRefusedBeforeAnythingIsGenerated() throws IOException {
    Path file = Files.writeString(tmp.resolve("plain"), "x");
    Path out = tmp.resolve("out");
    CliRunner.Result r = kiln("compile", "builtin:ds_cnn", "-o", out.toString(), "--json",
        file.resolve("r.json").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: cannot write the JSON report ")
        .endsWith(file + " exists and is not a directory").doesNotContain("\n");
    assertThat(out).doesNotExist();

    Path dir = Files.createDirectory(tmp.resolve("adir"));
    CliRunner.Result d = kiln("compile", "builtin:ds_cnn", "-o", out.toString(), "--json",
        dir.toString());
    assertThat(d.code()).isEqualTo(2);
    assertThat(d.errLine()).isEqualTo("kiln: cannot write the JSON report " + dir
        + ": it is a directory");
    assertThat(out).doesNotExist();
  }

  @Test
  void unsupportedOperatorLeavesNothingInOut() throws IOException {
    // Every shared .tflite model compiles now, the float ResNet too.
    Path resnet = SharedModels.file("../models/mlperf-tiny/pretrainedResnet.tflite").normalize();
    CliRunner.Result ok = kiln("compile", resnet.toString(), "--target", "cpu", "-o",
        tmp.resolve("resnet_f32").toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(tmp.resolve("resnet_f32/kiln_model.c")).content().contains("conv2d_f32");
    // The ONNX Abs node test has no CPU kernel.
    Path model = SharedModels.file("../models/onnx-node/test_abs/model.onnx").normalize();
    Path out = tmp.resolve("seanet");
    Path report = tmp.resolve("seanet.json");
    CliRunner.Result r = kiln("compile", model.toString(), "--target", "cpu", "-o",
        out.toString(), "--json", report.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: the CPU target does not support operator 0 (Abs)");
    assertThat(r.out()).isEmpty();
    assertThat(out).doesNotExist();
    assertThat(report).doesNotExist();

    // An existing OUT is left as it was.
    Files.createDirectory(out);
    Files.writeString(out.resolve("notes.txt"), "mine");
    assertThat(kiln("compile", model.toString(), "-o", out.toString()).code()).isEqualTo(2);
    try (Stream<Path> left = Files.list(out)) {
      assertThat(left).containsExactly(out.resolve("notes.txt"));
    }
  }

  @Test
  void missingModelIsOneLine() {
    CliRunner.Result r = kiln("compile", "/nonexistent/m.tflite", "-o",
        tmp.resolve("o").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: model file not found: /nonexistent/m.tflite");
    assertThat(tmp.resolve("o")).doesNotExist();
  }

  @Test
  void outputDirectoryIsRequired() {
    CliRunner.Result r = kiln("compile", "builtin:ds_cnn");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: Missing required option: '--output-dir=OUT'")
        .endsWith("(see 'kiln compile --help')");
  }

  @Test
  void helpNamesTheTargets() {
    CliRunner.Result r = kiln("compile", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("--target=TARGET", "cpu", "--json=REPORT.json", "-o");
  }
}
