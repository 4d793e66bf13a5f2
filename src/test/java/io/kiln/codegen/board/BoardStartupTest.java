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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each board's start-up code on its own, with tiny programs in place of the model driver: the
 * reset handler must copy .data and zero .bss before main (and turn on the FPU where the build
 * uses it), main's return value must become QEMU's exit status, and a fault must end the run
 * with status 3 and a message instead of hanging until the timeout (RISC-V has no trap for a
 * division by zero, so there it must give the ISA's all-ones quotient).
 */
class BoardStartupTest {
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

  /** Floating point in main: faults (status 3) unless the start-up code enabled the FPU. */
  private static final String FLOAT = """
      volatile float a = 1.5f;
      volatile float b = 2.25f;
      int main(void) { return (int)(a * b * 4.0f); }
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

  @ParameterizedTest
  @EnumSource(Board.class)
  void resetHandlerPreparesMemoryAndFaultsEndTheRun(Board board) throws IOException {
    BoardToolchain.assumeToolchain(board);
    CpuCodegen.generate(ModelSource.load("builtin:ds_cnn"), tmp,
        CodegenOptions.defaults().withBoard(board));
    assertThat(runProgram(board, "data", DATA_AND_BSS).exit()).as("data and bss").isEqualTo(42);
    assertThat(runProgram(board, "float", FLOAT).exit()).as("float").isEqualTo(13);
    List<String[]> faults = new ArrayList<>();
    faults.add(new String[] {"badaddr", BAD_ADDRESS});
    if (board.core().riscv()) {
      // RISC-V defines x / 0 as all ones and has no trap to turn on: main returns -1.
      assertThat(runProgram(board, "div0", DIVIDE_BY_ZERO).exit()).as("div0").isEqualTo(255);
    } else {
      faults.add(new String[] {"div0", DIVIDE_BY_ZERO});
    }
    for (String[] c : faults) {
      BoardToolchain.Result r = runProgram(board, c[0], c[1]);
      assertThat(r.exit()).as("%s exit status", c[0]).isEqualTo(3);
      assertThat(r.output()).as("%s message", c[0]).contains(board.driver() + ": fault");
    }
  }

  private BoardToolchain.Result runProgram(Board board, String name, String source)
      throws IOException {
    Files.writeString(tmp.resolve(name + ".c"), source);
    List<String> cmd = new ArrayList<>(List.of(BoardToolchain.gcc(board)));
    cmd.addAll(board.cflags());
    cmd.addAll(List.of("-nostartfiles", "-T", board.linkerScript(), "-o", name + ".elf",
        name + ".c", board.startup()));
    BoardToolchain.Result built = BoardToolchain.exec(tmp, cmd, 120);
    assertThat(built.exit()).as("build of %s:%n%s", name, built.output()).isZero();
    return BoardToolchain.exec(tmp, BoardToolchain.qemuCommand(board, tmp.resolve(name + ".elf"),
        ""), BoardToolchain.QEMU_TIMEOUT_SECONDS);
  }
}
