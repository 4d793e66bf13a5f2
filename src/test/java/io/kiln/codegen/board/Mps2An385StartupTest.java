package io.kiln.codegen.board;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.Board;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.models.ModelSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The board's start-up code on its own, with tiny programs in place of the model driver: the
 * reset handler must copy .data and zero .bss before main, main's return value must become
 * QEMU's exit status, and a fault must end the run with status 3 and a message instead of
 * hanging until the timeout.
 */
class Mps2An385StartupTest {
  @TempDir
  Path tmp;

  private static final String DATA_AND_BSS = """
      #include <stdint.h>
      static volatile int32_t initialized[4] = {11, 22, 33, 44};
      static volatile int32_t zeroed[300];
      int main(void) {
        if (initialized[0] != 11 || initialized[3] != 44) return 7;
        for (int i = 0; i < 300; ++i) if (zeroed[i] != 0) return 8;
        return 42;
      }
      """;

  private static final String DIVIDE_BY_ZERO = """
      #include <stdint.h>
      volatile int32_t numerator = 5;
      volatile int32_t divisor = 0;
      int main(void) { return numerator / divisor; }
      """;

  private static final String BAD_ADDRESS = """
      #include <stdint.h>
      int main(void) { return *(volatile int32_t *)0xF0000000u; }
      """;

  @Test
  void resetHandlerPreparesMemoryAndFaultsEndTheRun() throws IOException {
    Mps2Toolchain.assumeToolchain();
    CpuCodegen.generate(ModelSource.load("builtin:ds_cnn"), tmp,
        CodegenOptions.defaults().withBoard(Board.MPS2_AN385));
    assertThat(runProgram("data", DATA_AND_BSS).exit()).as("data and bss").isEqualTo(42);
    for (String[] c : List.of(new String[] {"div0", DIVIDE_BY_ZERO},
        new String[] {"badaddr", BAD_ADDRESS})) {
      Mps2Toolchain.Result r = runProgram(c[0], c[1]);
      assertThat(r.exit()).as("%s exit status", c[0]).isEqualTo(3);
      assertThat(r.output()).as("%s message", c[0]).contains("kiln_mps2: fault");
    }
  }

  private Mps2Toolchain.Result runProgram(String name, String source) throws IOException {
    Files.writeString(tmp.resolve(name + ".c"), source);
    List<String> cmd = new ArrayList<>(List.of(Mps2Toolchain.GCC));
    cmd.addAll(Mps2Toolchain.CFLAGS);
    cmd.addAll(List.of("-nostartfiles", "-T", "mps2_an385.ld", "-o", name + ".elf", name + ".c",
        "startup_mps2_an385.c"));
    Mps2Toolchain.Result built = Mps2Toolchain.exec(tmp, cmd, 120);
    assertThat(built.exit()).as("build of %s:%n%s", name, built.output()).isZero();
    return Mps2Toolchain.exec(tmp, Mps2Toolchain.qemuCommand(tmp.resolve(name + ".elf"), ""),
        Mps2Toolchain.QEMU_TIMEOUT_SECONDS);
  }
}
