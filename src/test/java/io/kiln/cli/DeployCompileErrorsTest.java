package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteWriter;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code kiln compile} for an accelerator target is one line naming what does not fit
 * or is missing, exit 2, and nothing in OUT.
 */
class DeployCompileErrorsTest {
  @TempDir
  Path tmp;

  private void refused(String message, String... args) {
    Path out = tmp.resolve("out");
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "-o";
    all[args.length + 1] = out.toString();
    CliRunner.Result r = kiln(all);
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).startsWith("kiln: ").contains(message).doesNotContain("\tat ");
    assertThat(r.err().strip()).doesNotContain("\n");
    assertThat(out).doesNotExist();
  }

  @Test
  void anL2TooSmallForTheArenaAndWeightsIsOneLine() throws Exception {
    CliRunner.Result shown = kiln("target", "show", "diana");
    assertThat(shown.code()).isZero();
    String yaml = shown.out().replaceFirst("(?s)(- name: l2\\s+size: )512 KiB", "$1 8 KiB");
    assertThat(yaml).isNotEqualTo(shown.out());
    Path hw = Files.writeString(tmp.resolve("small.yaml"), yaml);
    refused("does not fit", "compile", "builtin:resnet", "--target", hw.toString());
  }

  @Test
  void unknownTargetAndPolicyAreOneLine() {
    refused("unknown target 'npu'", "compile", "builtin:ds_cnn", "--target", "npu");
    refused("policy", "compile", "builtin:ds_cnn", "--target", "dla", "--policy", "fastest");
  }

  @Test
  void anOperatorNoUnitAndNoCpuKernelRunsIsOneLine() throws Exception {
    GraphBuilder b = new GraphBuilder("mean");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 4, 4, 8), 0.5, 0));
    int m = b.apply(new Op.Mean(List.of(1, 2), true), List.of(x), "m", DType.INT8,
        Quantization.perTensor(0.5, 0));
    b.output(m);
    Graph g = b.build();
    Path model = Files.write(tmp.resolve("mean.tflite"), TfliteWriter.write(g));
    refused("Mean", "compile", model.toString(), "--target", "dla");
  }
}
