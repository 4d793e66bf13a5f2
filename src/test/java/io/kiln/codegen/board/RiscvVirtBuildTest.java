package io.kiln.codegen.board;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.codegen.Board;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.models.ModelSource;
import io.kiln.target.CpuCore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bare-metal RISC-V board: the built-in DS-CNN compiled for {@code riscv32-virt}, built by
 * the board's makefile with riscv64-unknown-elf-gcc and picolibc for rv32imc, run under
 * {@code qemu-system-riscv32 -M virt -bios none} and compared byte for byte with the reference
 * interpreter; and the files such a compile emits.
 */
class RiscvVirtBuildTest {
  private static final Board BOARD = Board.RISCV32_VIRT;

  @TempDir
  Path tmp;

  @Test
  void emitsRiscvStartupAndMakefile() throws IOException {
    Graph g = ModelSource.load("builtin:ds_cnn");
    CpuCodegen.generate(g, tmp, CodegenOptions.defaults().withBoard(BOARD));
    assertThat(BOARD.core()).isEqualTo(CpuCore.RV32IMC);
    assertThat(Board.named("riscv32-virt")).isEqualTo(BOARD);
    assertThat(tmp.resolve("riscv32_virt.ld")).content()
        .contains("ORIGIN = 0x80000000, LENGTH = 4M", "ORIGIN = 0x80400000, LENGTH = 4M");
    assertThat(tmp.resolve("Makefile.riscv32-virt")).content()
        .contains("CROSS_COMPILE ?= riscv64-unknown-elf-", "-march=rv32imc -mabi=ilp32",
            "qemu-system-riscv32 -M virt -bios none");
    assertThat(tmp.resolve("kiln_semihost.h")).content().contains("ebreak")
        .doesNotContain("bkpt");
    assertThat(tmp.resolve("startup_riscv32_virt.c")).content().contains("mtvec")
        .contains("kiln_riscv32: fault");
    assertThat(tmp.resolve("main_semihost.c")).content().contains("usage: kiln_riscv32")
        .doesNotContain("@");
  }

  @Test
  void dsCnnUnderQemuMatchesTheInterpreter() throws IOException {
    BoardToolchain.assumeToolchain(BOARD);
    assumeTrue(BoardToolchain.available("make"), "make not found on PATH");
    Graph g = ModelSource.load("builtin:ds_cnn");
    CpuCodegen.generate(g, tmp, CodegenOptions.defaults().withBoard(BOARD));
    BoardToolchain.Result built = BoardToolchain.exec(tmp, List.of("make", "-s", "-f",
        BOARD.makefile()), 300);
    assertThat(built.exit()).as("make failed:%n%s", built.output()).isZero();
    assertThat(built.output()).as("make output").isEmpty();
    Path elf = tmp.resolve(BOARD.firmware());

    Value in = g.value(g.inputs().get(0));
    int inBytes = Math.toIntExact(in.type().bytes());
    int outBytes = Math.toIntExact(g.type(g.outputs().get(0)).bytes());
    int samples = 3;
    byte[] input = new byte[inBytes * samples];
    new Random(32).nextBytes(input);
    byte[] actual = BoardToolchain.run(BOARD, elf, List.of(input), samples, 1).get(0);
    assertThat(actual).hasSize(outBytes * samples);
    Interpreter interp = new Interpreter(g);
    for (int s = 0; s < samples; s++) {
      byte[] sample = Arrays.copyOfRange(input, s * inBytes, (s + 1) * inBytes);
      byte[] expected = interp.run(List.of(Tensor.fromBytes(in.dtype(), in.shape(), sample)))
          .get(0).toBytes();
      assertThat(Arrays.copyOfRange(actual, s * outBytes, (s + 1) * outBytes))
          .as("sample %d under qemu-system-riscv32 vs interpreter", s).isEqualTo(expected);
    }

    // A missing input file is the driver's exit status 2 with its message.
    BoardToolchain.Result bad = BoardToolchain.exec(tmp, BoardToolchain.qemuCommand(BOARD, elf,
        "--output-dir " + tmp + " " + tmp.resolve("missing.bin")),
        BoardToolchain.QEMU_TIMEOUT_SECONDS);
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.output()).contains("kiln_riscv32: cannot open");
  }
}
