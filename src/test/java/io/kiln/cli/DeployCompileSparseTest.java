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

  @BeforeAll
  static void prune() {
    model = tmp.resolve("r16.tflite");
    CliRunner.Result r = kiln("prune", SharedModels.file("mlperf-tiny/pretrainedResnet_quant.tflite").toString(),
        "--nm", "1:16", "--layers", "conv3x3", "--samples", "1", "-o", model.toString());
    assertThat(r.code()).as(r.err()).isZero();
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
