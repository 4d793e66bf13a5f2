package io.kiln.codegen;

import io.kiln.codegen.cpu.CpuCodegen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What CPU code generation refuses, and how: one-line {@link KilnException}s naming the operator
 * and its index, with nothing left behind in the output directory. Also the generated Makefile
 * and the host driver's own argument checks.
 */
class CpuCodegenErrorsTest {
  @TempDir
  Path tmp;

  @Test
  void unsupportedOperatorIsNamedWithItsIndexAndNothingIsWritten() {
    SmallGraphs s = new SmallGraphs("tanh", 1);
    int x = s.input(1, 4);
    int f = s.fc(x, 4, Activation.NONE, false);
    s.builder().output(s.builder().apply(new Op.Tanh(), List.of(f), "t", DType.INT8,
        Quantization.perTensor(1.0 / 128, 0)));
    Graph g = s.builder().build();
    Path out = tmp.resolve("out");
    assertThatThrownBy(() -> CpuCodegen.generate(g, out, CodegenOptions.defaults()))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("Tanh")
        .hasMessageContaining("operator 1")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThat(out).doesNotExist();
  }

  @Test
  void broadcastingAddIsRejected() {
    SmallGraphs s = new SmallGraphs("bcast", 2);
    var b = s.builder();
    int x = s.input(1, 2, 2, 3);
    // A per-channel vector broadcasts (TrailingBroadcast); one along the middle axes does not.
    int y = b.input("y", new io.kiln.ir.TensorType(DType.INT8, io.kiln.ir.Shape.of(1, 2, 1, 3),
        Quantization.perTensor(0.1, 0)));
    b.output(s.add(x, y, Activation.NONE));
    assertThatThrownBy(() -> CpuCodegen.emit(b.build(), CodegenOptions.defaults()))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("Add")
        .hasMessageContaining("broadcasting")
        .hasMessageContaining("operator 0");
  }

  @Test
  void softmaxWithNonStandardOutputQuantizationIsRejected() {
    SmallGraphs s = new SmallGraphs("sm", 3);
    int x = s.input(1, 5);
    s.builder().output(s.builder().apply(new Op.Softmax(1f), List.of(x), "p", DType.INT8,
        Quantization.perTensor(1.0 / 128, -128)));
    assertThatThrownBy(() -> CpuCodegen.emit(s.builder().build(), CodegenOptions.defaults()))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("Softmax")
        .hasMessageContaining("1/256");
  }

  @Test
  void unwritableOutputDirectoryIsAOneLineErrorAndLeavesNothing() throws IOException {
    Path file = Files.writeString(tmp.resolve("not_a_dir"), "x");
    Graph g = CodegenGoldenTest.floatIoGraph();
    assertThatThrownBy(() -> CpuCodegen.generate(g, file.resolve("out"),
        CodegenOptions.defaults()))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("cannot write")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThat(Files.readString(file)).isEqualTo("x");
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left).containsExactly(file);
    }
  }

  @Test
  void generatedMakefileBuildsAWorkingHostDriverWithFloatIo() throws IOException {
    NativeBuild.assumeGcc();
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/make"))
        || Files.isExecutable(Path.of("/bin/make")), "make not found");
    Path dir = tmp.resolve("lib");
    CompileResult r = CpuCodegen.generate(CodegenGoldenTest.floatIoGraph(), dir,
        CodegenOptions.defaults());
    assertThat(r.files()).contains("kiln_model.h", "kiln_model.c", "kiln_weights.c",
        "main_host.c", "Makefile", "CMakeLists.txt");
    var make = NativeBuild.exec(dir, List.of("make", "CFLAGS=-std=c99 -O2 -Wall -Wextra -Werror"));
    assertThat(make.exit()).as(make.output()).isZero();
    // Quantize(x / 0.0625 + 3) then FC then dequantize: only check that floats flow end to end
    // and that two identical samples give identical results.
    java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(48).order(
        java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 12; i++) {
      in.putFloat((i % 6) * 0.3f - 0.7f);
    }
    byte[] out = NativeBuild.run(dir.resolve("kiln_host"), List.of(in.array()), 2, 1).get(0);
    assertThat(out).hasSize(24);
    assertThat(java.util.Arrays.copyOfRange(out, 0, 12))
        .isEqualTo(java.util.Arrays.copyOfRange(out, 12, 24));
  }

  @Test
  void hostDriverRejectsInputsOfTheWrongSize() throws IOException {
    NativeBuild.assumeGcc();
    SmallGraphs s = new SmallGraphs("fc", 4);
    s.builder().output(s.fc(s.input(1, 8), 2, Activation.NONE, false));
    Path host = NativeBuild.build(s.builder().build(), tmp.resolve("fc"), NativeBuild.STRICT);
    Path in = Files.write(tmp.resolve("in.bin"), new byte[9]);
    var r = NativeBuild.exec(tmp, List.of(host.toString(), "--output-dir", tmp.toString(),
        in.toString()));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.output()).contains("9 bytes");
    var usage = NativeBuild.exec(tmp, List.of(host.toString(), in.toString()));
    assertThat(usage.exit()).isEqualTo(2);
    assertThat(usage.output()).contains("usage: kiln_host");
    var batch = NativeBuild.exec(tmp, List.of(host.toString(), "--batch", "2", "--output-dir",
        tmp.toString(), Files.write(tmp.resolve("one.bin"), new byte[8]).toString()));
    assertThat(batch.exit()).isEqualTo(2);
    assertThat(batch.output()).contains("expected 2 x 8");
  }

  @Test
  void arenaAndWeightBytesAreReported() {
    SmallGraphs s = new SmallGraphs("sizes", 6);
    int x = s.input(1, 5, 5, 2);
    int c = s.conv(x, 3, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.NONE, true, true);
    int d = s.depthwise(c, 1, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.NONE);
    s.builder().output(d);
    var src = CpuCodegen.emit(s.builder().build(),
        CodegenOptions.defaults().withPlanner(ArenaLayout.SEPARATE_REGIONS));
    // conv output 75 bytes, aligned to 76; the depthwise writes the caller's output buffer.
    assertThat(src.arenaBytes()).isEqualTo(76);
    // conv filter 3*3*3*2 + bias 3*4, depthwise filter 27 + bias 12.
    assertThat(src.weightBytes()).isEqualTo(54 + 12 + 27 + 12);
    assertThat(src.files().get("kiln_model.h")).contains("#define KILN_ARENA_BYTES 76")
        .contains("#define KILN_WEIGHT_BYTES 105").contains("#define KILN_INPUT0_BYTES 50")
        .contains("#define KILN_OUTPUT0_BYTES 75");
    assertThat(src.layers()).extracting(CompileResult.Layer::macs)
        .containsExactly(25L * 3 * 9 * 2, 25L * 3 * 9);
    assertThat(src.layers()).extracting(CompileResult.Layer::arenaOffset)
        .containsExactly(0L, -1L);
  }

  @Test
  void plannedArenaReusesMemoryAndReshapeAliasesItsInput() {
    SmallGraphs s = new SmallGraphs("reuse", 7);
    int x = s.input(1, 4, 4, 8);
    int a = s.depthwise(x, 1, 1, 1, 1, 1, Pads.NONE, Activation.NONE);
    int b = s.depthwise(a, 1, 1, 1, 1, 1, Pads.NONE, Activation.NONE);
    int c = s.depthwise(b, 1, 1, 1, 1, 1, Pads.NONE, Activation.NONE);
    int r = s.reshape(c, 1, 128);
    s.builder().output(s.fc(r, 3, Activation.NONE, false));
    Graph g = s.builder().build();
    var separate = CpuCodegen.emit(g, CodegenOptions.defaults()
        .withPlanner(ArenaLayout.SEPARATE_REGIONS));
    var planned = CpuCodegen.emit(g, CodegenOptions.defaults());
    assertThat(separate.arenaBytes()).isEqualTo(4 * 128);
    // a and b are live together, then c reuses a's bytes and the reshape shares c's.
    assertThat(planned.arenaBytes()).isEqualTo(2 * 128);
    assertThat(planned.files().get("kiln_model.c")).doesNotContain("memcpy(");
    assertThat(separate.files().get("kiln_model.c")).contains("memcpy(");
  }

  @Test
  void everyUnsupportedLayerIsNamedInOneLine() {
    SmallGraphs s = new SmallGraphs("many", 3);
    var b = s.builder();
    int x = s.input(1, 2, 2, 3);
    int t1 = b.apply(new Op.Tanh(), List.of(x), "t1", DType.INT8,
        Quantization.perTensor(1.0 / 128, 0));
    int t2 = b.apply(new Op.Tanh(), List.of(t1), "t2", DType.INT8,
        Quantization.perTensor(1.0 / 128, 0));
    int y = b.input("y", new io.kiln.ir.TensorType(DType.INT8, io.kiln.ir.Shape.of(1, 2, 1, 3),
        Quantization.perTensor(0.1, 0)));
    b.output(s.add(t2, y, Activation.NONE));
    assertThatThrownBy(() -> CpuCodegen.emit(b.build(), CodegenOptions.defaults()))
        .isInstanceOf(KilnException.class)
        .hasMessage("the CPU target does not support 3 layers: Tanh with i8 input 0 (2x, first operator 0), Add"
            + " with broadcasting ([1,2,2,3] + [1,2,1,3]) (operator 2)");
  }
}
