package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.testing.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile MODEL --target dla --sparse ...} on ResNet8 pruned by {@code kiln prune}:
 * the CPU layers' kernels follow {@code --sparse} as in a CPU-only compile, and the text report
 * and {@code --json} say per layer which kernel ran and why.
 */
class DeployCompileSparseTest {
  @TempDir
  static Path tmp;

  static Path model;
  static Path model4;

  @BeforeAll
  static void prune() {
    model = prune("1:16", "conv3x3");
    model4 = prune("1:4", "conv");
  }

  private static Path prune(String nm, String layers) {
    Path out = tmp.resolve("r" + nm.replace(':', 'x') + ".tflite");
    CliRunner.Result r = kiln("prune", SharedModels.file("mlperf-tiny/pretrainedResnet_quant.tflite").toString(),
        "--nm", nm, "--layers", layers, "--samples", "1", "-o", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    return out;
  }

  /**
   * A description's core decides as in a CPU-only compile: on DIANA's generic core the host's
   * costs keep 1:4 dense, the same description with {@code core: rv32imc} (plain C on a
   * microcontroller) takes the sparse kernel.
   */
  @Test
  void theDescriptionsPlainCCoreChoosesAsACpuOnlyCompileWould() throws Exception {
    CliRunner.Result shown = kiln("target", "show", "diana");
    assertThat(shown.code()).isZero();
    String yaml = shown.out().replaceFirst("(?m)^cpu:\n", "cpu:\n  core: rv32imc\n");
    assertThat(yaml).isNotEqualTo(shown.out());
    Path rv = Files.writeString(tmp.resolve("diana-rv.yaml"), yaml);
    for (String target : List.of("diana", rv.toString())) {
      boolean mcu = !target.equals("diana");
      Path json = tmp.resolve(mcu ? "rv.json" : "diana.json");
      CliRunner.Result r = kiln("compile", model4.toString(), "--target", target, "--no-object-sizes",
          "-o", tmp.resolve(mcu ? "rv" : "diana").toString(), "--json", json.toString());
      assertThat(r.code()).as(r.err()).isZero();
      List<JsonNode> convs = cpuKernels(json).stream().filter(k -> k.get("op").asText().equals("Conv2D"))
          .toList();
      assertThat(convs).as(target).isNotEmpty();
      for (JsonNode k : convs) {
        assertThat(k.get("kernel").asText()).as(target).isEqualTo(mcu ? "sparse-1:4" : "plain-c");
        assertThat(k.get("kernel_reason").asText()).as(target)
            .startsWith(mcu ? "1:4 sparse:" : "1:4 weights stay dense").contains(mcu ? "rv32imc" : "the host");
      }
    }
  }

  private static List<JsonNode> cpuKernels(Path json) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    new ObjectMapper().readTree(json.toFile()).get("cpu_kernels").forEach(out::add);
    return out;
  }

  @Test
  void theReportAndJsonSayWhichCpuLayersRunSparse() throws Exception {
    for (String mode : List.of("auto", "always", "never")) {
      Path out = tmp.resolve("dla-" + mode);
      Path json = tmp.resolve(mode + ".json");
      CliRunner.Result r = kiln("compile", model.toString(), "--target", "dla", "--sparse", mode,
          "--no-object-sizes", "-o", out.toString(), "--json", json.toString());
      assertThat(r.code()).as(r.err()).isZero();
      List<JsonNode> sparse = cpuKernels(json).stream()
          .filter(k -> k.get("kernel").asText().equals("sparse-1:16")).toList();
      String c = Files.readString(out.resolve("kiln_model.c"));
      if (mode.equals("never")) {
        assertThat(sparse).isEmpty();
        assertThat(c).doesNotContain("_conv2d_sparse(");
        assertThat(r.out()).contains("1:16 weights stay dense: sparse kernels switched off");
      } else {
        // The DLA declares no N:M format, so the seven pruned 3x3 convolutions stay on the CPU.
        assertThat(sparse).as(mode).hasSize(7);
        for (JsonNode k : sparse) {
          assertThat(k.get("op").asText()).isEqualTo("Conv2D");
          assertThat(k.get("kernel_reason").asText()).startsWith(mode.equals("auto") ? "1:16 sparse:"
              : "1:16 sparse (requested)");
          assertThat(c).contains("  kiln_l" + k.get("index").asInt() + "_conv2d_sparse(");
        }
        assertThat(r.out()).contains("CPU kernels of the generated program:").contains("sparse-1:16");
      }
    }
  }

  @Test
  void aBadSparseModeIsOneLine() {
    Path out = tmp.resolve("bad");
    CliRunner.Result r = kiln("compile", model.toString(), "--target", "dla", "--sparse", "sometimes",
        "-o", out.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).contains("sometimes").doesNotContain("\n");
    assertThat(out).doesNotExist();
  }
}
