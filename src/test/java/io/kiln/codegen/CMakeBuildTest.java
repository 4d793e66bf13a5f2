package io.kiln.codegen;

import io.kiln.codegen.cpu.CpuCodegen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.models.Builtins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated {@code CMakeLists.txt} builds a host driver that agrees with the interpreter. */
class CMakeBuildTest {
  @TempDir
  Path tmp;

  @Test
  void cmakeBuildOfBuiltinDsCnnMatchesInterpreter() throws IOException {
    NativeBuild.assumeGcc();
    assumeTrue(NativeBuild.exec(tmp, List.of("sh", "-c", "command -v cmake")).exit() == 0,
        "cmake not found on PATH; skipping the CMake build check");
    Graph g = Builtins.named("ds_cnn").build();
    Path src = tmp.resolve("src");
    CpuCodegen.generate(g, src, CodegenOptions.defaults());
    Path build = tmp.resolve("build");
    var configure = NativeBuild.exec(tmp, List.of("cmake", "-S", src.toString(), "-B",
        build.toString(), "-DCMAKE_BUILD_TYPE=Release",
        "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"));
    assertThat(configure.exit()).as(configure.output()).isZero();
    var make = NativeBuild.exec(tmp, List.of("cmake", "--build", build.toString()));
    assertThat(make.exit()).as(make.output()).isZero();

    Value in = g.inputValues().get(0);
    byte[] sample = new byte[(int) in.type().bytes()];
    new SplittableRandom(5).nextBytes(sample);
    byte[] out = NativeBuild.run(build.resolve("kiln_host"), List.of(sample), 1, 1).get(0);
    Tensor expected = new Interpreter(g).run(
        List.of(Tensor.fromBytes(in.dtype(), in.shape(), sample))).get(0);
    assertThat(out).isEqualTo(expected.toBytes());
    assertThat(Files.exists(build.resolve("libkiln_model.a"))).isTrue();
  }
}
