package io.kiln.codegen.board;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.KilnException;
import io.kiln.codegen.Board;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.CompileResult;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.models.ModelSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MPS2 AN385 board files: what a compile with and without a board emits, the built-in
 * DS-CNN built by the board's makefile and run under QEMU against the reference interpreter,
 * and the bare-metal driver's handling of bad command lines and files.
 */
class Mps2An385BuildTest {
  @TempDir
  static Path shared;

  /** builtin:ds_cnn built by the board's makefile, once for the tests that run it. */
  private static Path dsCnnElf;
  private static Graph dsCnn;

  private static synchronized Path dsCnnElf() throws IOException {
    BoardToolchain.assumeToolchain();
    assumeTrue(BoardToolchain.available("make"), "make not found on PATH: the board's makefile "
        + "is not tested");
    if (dsCnnElf == null) {
      dsCnn = ModelSource.load("builtin:ds_cnn");
      Path dir = shared.resolve("ds_cnn");
      CpuCodegen.generate(dsCnn, dir, CodegenOptions.defaults().withBoard(Board.MPS2_AN385));
      BoardToolchain.Result r = BoardToolchain.exec(dir, List.of("make", "-s", "-f",
          Board.MPS2_AN385.makefile()), 300);
      assertThat(r.exit()).as("make failed:%n%s", r.output()).isZero();
      assertThat(r.output()).as("make output").isEmpty();
      dsCnnElf = dir.resolve(Board.MPS2_AN385.firmware());
      assertThat(dsCnnElf).isRegularFile();
    }
    return dsCnnElf;
  }

  @Test
  void boardFilesAreEmittedOnlyWithABoard(@TempDir Path tmp) {
    Graph g = ModelSource.load("builtin:ds_cnn");
    CompileResult plain = CpuCodegen.generate(g, tmp.resolve("plain"), CodegenOptions.defaults());
    CompileResult board = CpuCodegen.generate(g, tmp.resolve("board"),
        CodegenOptions.defaults().withBoard(Board.MPS2_AN385));
    assertThat(plain.files()).doesNotContainAnyElementsOf(Board.MPS2_AN385.files());
    assertThat(board.files()).containsAll(plain.files())
        .containsAll(Board.MPS2_AN385.files())
        .hasSize(plain.files().size() + Board.MPS2_AN385.files().size());
    assertThat(tmp.resolve("plain/mps2_an385.ld")).doesNotExist();
    assertThat(tmp.resolve("board/mps2_an385.ld")).content()
        .contains("ORIGIN = 0x00000000, LENGTH = 4M", "ORIGIN = 0x20000000, LENGTH = 4M");
    // The library itself does not change with the board.
    assertThat(tmp.resolve("board/kiln_model.c")).hasSameTextualContentAs(
        tmp.resolve("plain/kiln_model.c"));
  }

  @Test
  void boardsAreNamedAsTheCliSpellsThem() {
    assertThat(Board.named("mps2-an385")).isEqualTo(Board.MPS2_AN385);
    assertThat(Board.named("MPS2-AN385")).isEqualTo(Board.MPS2_AN385);
    assertThatThrownBy(() -> Board.named("stm32f4")).isInstanceOf(KilnException.class)
        .hasMessage("unknown board 'stm32f4' (known: mps2-an385, mps2-an386, mps2-an500, "
            + "mps3-an547, riscv32-virt)");
  }

  @Test
  void builtinDsCnnUnderQemuMatchesTheInterpreter() throws IOException {
    Path elf = dsCnnElf();
    Value in = dsCnn.value(dsCnn.inputs().get(0));
    int inBytes = Math.toIntExact(in.type().bytes());
    int samples = 3;
    byte[] input = new byte[inBytes * samples];
    new Random(385).nextBytes(input);
    // No --batch: the driver infers it from the file size.
    Path dir = Files.createTempDirectory(elf.getParent(), "nobatch");
    Files.write(dir.resolve("in.bin"), input);
    BoardToolchain.Result r = BoardToolchain.exec(dir, BoardToolchain.qemuCommand(
        Board.MPS2_AN385, elf, "--output-dir " + dir + " " + dir.resolve("in.bin")),
        BoardToolchain.QEMU_TIMEOUT_SECONDS);
    assertThat(r.exit()).as("qemu:%n%s", r.output()).isZero();
    byte[] actual = Files.readAllBytes(dir.resolve("output0.bin"));

    Interpreter interp = new Interpreter(dsCnn);
    int outBytes = Math.toIntExact(dsCnn.type(dsCnn.outputs().get(0)).bytes());
    assertThat(actual).hasSize(outBytes * samples);
    for (int s = 0; s < samples; s++) {
      byte[] sample = Arrays.copyOfRange(input, s * inBytes, (s + 1) * inBytes);
      byte[] expected = interp.run(List.of(Tensor.fromBytes(in.dtype(), in.shape(), sample)))
          .get(0).toBytes();
      assertThat(Arrays.copyOfRange(actual, s * outBytes, (s + 1) * outBytes))
          .as("sample %d under qemu vs interpreter", s).isEqualTo(expected);
    }
    // The same samples with an explicit --batch give the same bytes.
    assertThat(BoardToolchain.run(Board.MPS2_AN385, elf, List.of(input), samples, 1).get(0))
        .isEqualTo(actual);
  }

  @Test
  void badCommandLinesAndFilesExitWithTwo() throws IOException {
    Path elf = dsCnnElf();
    Path dir = Files.createTempDirectory(elf.getParent(), "bad");
    Path in = dir.resolve("in.bin");
    Files.write(in, new byte[490 + 1]);
    Path missing = dir.resolve("missing.bin");
    record Case(String args, String message) {}
    for (Case c : List.of(
        new Case(in.toString(), "usage: kiln_mps2"),
        new Case("--output-dir " + dir, "usage: kiln_mps2"),
        new Case("--bogus --output-dir " + dir + " " + in, "usage: kiln_mps2"),
        new Case("--batch 0 --output-dir " + dir + " " + in, "--batch needs a positive integer"),
        new Case("--output-dir " + dir + " " + missing, "cannot open " + missing),
        new Case("--output-dir " + dir + " " + in, "is not a positive multiple of one sample"),
        new Case("--batch 1 --output-dir " + dir + " " + in, "does not hold --batch samples"),
        new Case("--output-dir " + dir.resolve("no/such/dir") + " " + in.resolveSibling(
            "one.bin"), "cannot write"))) {
      if (c.args.endsWith("one.bin")) {
        Files.write(in.resolveSibling("one.bin"), new byte[490]);
      }
      BoardToolchain.Result r = BoardToolchain.exec(dir,
          BoardToolchain.qemuCommand(Board.MPS2_AN385, elf, c.args),
          BoardToolchain.QEMU_TIMEOUT_SECONDS);
      assertThat(r.exit()).as("exit status for '%s': %s", c.args, r.output()).isEqualTo(2);
      assertThat(r.output()).as("message for '%s'", c.args).contains(c.message);
    }
  }
}
