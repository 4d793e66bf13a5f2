package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.DeploymentCodegenTest;
import io.kiln.codegen.NativeBuild;
import io.kiln.frontend.tflite.TfliteWriter;
import io.kiln.ir.Encoding;
import io.kiln.testing.SparseLayers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln compile / run / plan / simulate --target FILE.yaml} with N:M support switched on for
 * diana's digital unit: a pruned layer runs there with its weights stored sparse, and the
 * generated program (gcc -Werror; and under ASan/UBSan), {@code kiln run --target} and {@code kiln
 * simulate} agree byte for byte.
 */
class SparseTargetCommandTest {
  @TempDir
  Path tmp;

  @Test
  void aPrunedLayerCompilesRunsAndSimulatesOnTheSparseDigitalUnit() throws Exception {
    NativeBuild.assumeGcc();
    Path soc = tmp.resolve("diana-sparse.yaml");
    Files.writeString(soc, SparseLayers.dianaYaml(SparseLayers.DIGITAL_YAML));
    // A 3x3 conv over 20 channels (not a multiple of 4) in 1:4.
    Path model = tmp.resolve("nm.tflite");
    Files.write(model, TfliteWriter.write(SparseLayers.layer(new Random(21), new Encoding.NM(1, 4), 10, 9, 20, 24, 3)));
    String[] target = {"--target", soc.toString(), "--policy", "digital"};

    CliRunner.Result plan = kiln(concat(new String[] {"plan", model.toString()}, target));
    assertThat(plan.code()).as(plan.err()).isZero();
    assertThat(plan.out()).contains("Conv2D           digital");

    Path out = tmp.resolve("c");
    CliRunner.Result compile = kiln(concat(new String[] {"compile", model.toString(), "-o", out.toString()}, target));
    assertThat(compile.code()).as(compile.err()).isZero();
    assertThat(Files.readString(out.resolve("kiln_weights.c"))).contains("(1:4 tiles K24, int8 values + 4-bit offsets, K16-interleaved)");
    byte[] in = new byte[10 * 9 * 20 * 3];
    new Random(4).nextBytes(in);
    Path inFile = tmp.resolve("in.bin");
    Files.write(inFile, in);
    Path strict = NativeBuild.compile(out, NativeBuild.STRICT, "kiln_strict", DeploymentCodegenTest.SOURCES);
    Path sanitized = NativeBuild.compile(out, NativeBuild.SANITIZE, "kiln_san", DeploymentCodegenTest.SOURCES);
    byte[] program = NativeBuild.run(strict, List.of(in), 3, 1).get(0);
    assertThat(NativeBuild.run(sanitized, List.of(in), 3, 1).get(0)).isEqualTo(program);

    Path ran = tmp.resolve("run");
    CliRunner.Result run = kiln(concat(new String[] {"run", model.toString(), "--input", inFile.toString(), "--batch",
        "3", "--output-dir", ran.toString()}, target));
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(Files.readAllBytes(ran.resolve("output0.bin"))).isEqualTo(program);

    Path one = tmp.resolve("one.bin");
    Files.write(one, java.util.Arrays.copyOf(in, 10 * 9 * 20));
    CliRunner.Result sim = kiln(concat(new String[] {"simulate", model.toString(), "--input", one.toString()}, target));
    assertThat(sim.code()).as(sim.err()).isZero();
    assertThat(sim.out()).contains("outputs: identical to the interpreter on the lowered graph");
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
