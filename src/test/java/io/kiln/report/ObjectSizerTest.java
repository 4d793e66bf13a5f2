package io.kiln.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.CompileResult;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.models.Builtins;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Section sizes of the generated library, measured with the host compiler when there is one. */
class ObjectSizerTest {
  @TempDir
  Path tmp;

  private static Path compiler() {
    Optional<Path> cc = ObjectSizer.findCompiler();
    assumeTrue(cc.isPresent(), "no C compiler (gcc or cc) on PATH: object sizes not measured");
    return cc.get();
  }

  @Test
  void dsCnnSectionsHoldTheArenaAndTheWeights() throws IOException {
    Path cc = compiler();
    CompileResult r = CpuCodegen.generate(Builtins.named("ds_cnn").build(), tmp.resolve("lib"),
        CodegenOptions.defaults());
    ObjectSizes s = ObjectSizer.measure(r.outDir(), Optional.of(cc));
    assertThat(s.available()).as(String.valueOf(s.reason())).isTrue();
    assertThat(s.command()).endsWith(" -std=c99 -O2 -c");
    // The static arena is the only zero-initialized data; the weights are read-only.
    assertThat(s.bssBytes()).isEqualTo(r.arenaBytes());
    assertThat(s.rodataBytes()).isGreaterThanOrEqualTo(r.weightBytes());
    assertThat(s.dataBytes()).isZero();
    assertThat(s.textBytes()).isPositive();
    // Nothing is left behind next to the sources.
    try (Stream<Path> files = Files.list(r.outDir())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(
          r.files());
    }
  }

  @Test
  void matchesBinutilsSizeWhenPresent() throws Exception {
    Path cc = compiler();
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/size")), "binutils 'size' not found");
    CompileResult r = CpuCodegen.generate(Builtins.named("ds_cnn").build(), tmp.resolve("lib"),
        CodegenOptions.defaults());
    ObjectSizes s = ObjectSizer.measure(r.outDir(), Optional.of(cc));
    long[] sums = new long[4];
    for (String src : ObjectSizer.SOURCES) {
      Path obj = tmp.resolve(src + ".o");
      run(r.outDir(), cc.toString(), "-std=c99", "-O2", "-c", "-o", obj.toString(), src);
      for (String line : run(tmp, "/usr/bin/size", "-A", obj.toString()).lines().toList()) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 2 || !f[1].matches("\\d+")) {
          continue;
        }
        String[] kinds = {".text", ".rodata", ".data", ".bss"};
        for (int k = 0; k < 4; k++) {
          if (ObjectSizer.inSection(f[0], kinds[k])) {
            sums[k] += Long.parseLong(f[1]);
          }
        }
      }
    }
    assertThat(new long[] {s.textBytes(), s.rodataBytes(), s.dataBytes(), s.bssBytes()})
        .containsExactly(sums);
  }

  @Test
  void noCompilerIsReportedNotFatal() {
    ObjectSizes s = ObjectSizer.measure(tmp, Optional.empty());
    assertThat(s.available()).isFalse();
    assertThat(s.reason()).isEqualTo("no C compiler");
    assertThat(s.textBytes()).isNull();
  }

  @Test
  void aCompilerErrorIsReportedWithItsFirstLine() throws IOException {
    Path cc = compiler();
    Files.writeString(tmp.resolve("kiln_model.c"), "int broken(void) { return }\n");
    Files.writeString(tmp.resolve("kiln_weights.c"), "const int w = 1;\n");
    ObjectSizes s = ObjectSizer.measure(tmp, Optional.of(cc));
    assertThat(s.available()).isFalse();
    assertThat(s.reason()).startsWith(cc.getFileName() + " failed on kiln_model.c: ")
        .contains("kiln_model.c").doesNotContain("\n");
  }

  @Test
  void sectionNamesGroupSubsectionsOnly() {
    assertThat(ObjectSizer.inSection(".text", ".text")).isTrue();
    assertThat(ObjectSizer.inSection(".text.startup", ".text")).isTrue();
    assertThat(ObjectSizer.inSection(".rela.text", ".text")).isFalse();
    assertThat(ObjectSizer.inSection(".textual", ".text")).isFalse();
    assertThat(ObjectSizer.inSection(".data.rel.ro", ".data")).isTrue();
    assertThat(Map.of(".bss", 1).keySet()).allMatch(n -> ObjectSizer.inSection(n, ".bss"));
  }

  private static String run(Path dir, String... cmd) throws Exception {
    Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).directory(dir.toFile())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
