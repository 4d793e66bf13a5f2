package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.target.HardwareLoader;
import io.kiln.target.Presets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln targets} and {@code kiln target show}: listing, YAML that loads back, errors. */
class TargetCommandTest {
  @TempDir
  Path dir;

  @Test
  void targetsListsEveryPresetWithADescription() {
    CliRunner.Result r = kiln("targets");
    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).containsPattern("(?m)^cpu +generic Cortex-M")
        .containsPattern("(?m)^diana +DIANA-like")
        .containsPattern("(?m)^dla +NVDLA-like")
        .contains("dla:pe=64|128,sram=512KiB|1MiB|256MiB,par=output|input,"
            + "dw=emulated|native|unsupported");
  }

  @Test
  void showPrintsYamlThatLoadsBackToTheSameRecords() {
    List<String> specs = List.of("cpu", "diana", "dla", "dla:pe=128,sram=1MiB,par=output,dw=native",
        "dla:pe=64,sram=256MiB,par=input,dw=unsupported", "dla:dw=native",
        "dla:pe=128,par=input,dw=emulated");
    for (String spec : specs) {
      for (boolean canonical : List.of(false, true)) {
        CliRunner.Result r = canonical ? kiln("target", "show", "--canonical", spec)
            : kiln("target", "show", spec);
        assertThat(r.code()).as(spec).isZero();
        assertThat(HardwareLoader.parse(r.out(), spec)).as(spec).isEqualTo(Presets.get(spec));
      }
    }
    // Without parameters, show prints the commented preset: the numbers' justifications.
    assertThat(kiln("target", "show", "diana").out()).contains("Ueyoshi")
        .contains("# Assumption");
    assertThat(kiln("target", "show", "dla:pe=128").out())
        .startsWith("# Hardware description 'dla:pe=128,sram=512KiB,par=output,dw=emulated'")
        .contains("kiln target show dla");
  }

  @Test
  void showAcceptsAFileAndItsOutputIsAFileAgain() throws IOException {
    Path f = dir.resolve("soc.yaml");
    Files.writeString(f, kiln("target", "show", "diana").out());
    CliRunner.Result r = kiln("target", "show", f.toString());
    assertThat(r.code()).isZero();
    assertThat(HardwareLoader.parse(r.out(), "out")).isEqualTo(Presets.get("diana"));
  }

  @Test
  void errorsAreOneLineWithExitCode2() throws IOException {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, kiln("target", "show", "cpu").out().replace("size: 256 KiB",
        "size: -256 KiB"));
    CliRunner.Result r = kiln("target", "show", f.toString());
    assertThat(r.code()).isEqualTo(Main.EXIT_USER_ERROR);
    assertThat(r.errLine()).isEqualTo("kiln: " + f + ": memories[0].size: must be positive, "
        + "got -262144");

    for (String[] args : List.of(new String[] {"target", "show", "dla:pe=32"},
        new String[] {"target", "show", "nope"},
        new String[] {"target", "show", dir.resolve("missing.yaml").toString()})) {
      CliRunner.Result e = kiln(args);
      assertThat(e.code()).as(String.join(" ", args)).isEqualTo(Main.EXIT_USER_ERROR);
      assertThat(e.errLine()).startsWith("kiln: ").doesNotContain("\n");
      assertThat(e.out()).isEmpty();
    }
    assertThat(kiln("target", "show", "dla:pe=32").errLine()).contains("allowed: 64, 128");
    assertThat(kiln("target").code()).isEqualTo(Main.EXIT_USER_ERROR);
  }
}
