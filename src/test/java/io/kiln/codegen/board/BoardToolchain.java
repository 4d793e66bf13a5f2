package io.kiln.codegen.board;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.codegen.Board;
import io.kiln.testing.SharedModels;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Test helper: builds a generated model for a {@link Board} with the board's cross compiler (the
 * flags of the board's makefile, so a test build is the documented build) and runs the ELF under
 * the board's QEMU, skipping tests with a message when either is missing (failing them in CI).
 */
final class BoardToolchain {
  static final long QEMU_TIMEOUT_SECONDS = 120;

  private static final Map<String, Boolean> FOUND = new ConcurrentHashMap<>();

  private BoardToolchain() {}

  /** Whether {@code tool --version} runs. */
  static boolean available(String tool) {
    return FOUND.computeIfAbsent(tool, t -> {
      try {
        Process p = new ProcessBuilder(t, "--version").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
      } catch (IOException | InterruptedException e) {
        return false;
      }
    });
  }

  /** Skips the calling test unless the Arm cross compiler and QEMU are on the PATH. */
  static void assumeToolchain() {
    assumeToolchain(Board.MPS2_AN385);
  }

  /**
   * Skips the calling test unless {@code board}'s cross compiler and QEMU are on the PATH; under
   * CI ({@code CI=true}), whose .ci/run installs them, their absence fails the test instead.
   */
  static void assumeToolchain(Board board) {
    String gcc = gcc(board);
    String packages = board.core().riscv()
        ? "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf"
        : "gcc-arm-none-eabi libnewlib-arm-none-eabi";
    String qemuPackage = board.core().riscv() ? "qemu-system-misc" : "qemu-system-arm";
    require(available(gcc), gcc + " not found on PATH (Debian: " + packages
        + "): the bare-metal build is not tested");
    require(available(board.qemu()), board.qemu() + " not found on PATH (Debian: " + qemuPackage
        + "): the bare-metal run is not tested");
  }

  private static void require(boolean ok, String why) {
    if (!ok && SharedModels.requiredByCi()) {
      throw new AssertionError(why + "; CI=true, so this is a failure, not a skip");
    }
    assumeTrue(ok, why);
  }

  /** The board's C cross compiler. */
  static String gcc(Board board) {
    return board.core().crossCompiler();
  }

  /**
   * Builds the generated sources in {@code dir} into the board's firmware, compiling the
   * translation units in parallel (the model and the weights dominate), then linking with the
   * board's linker script.
   */
  static Path build(Board board, Path dir) throws IOException {
    List<Process> procs = new ArrayList<>();
    List<String> objects = new ArrayList<>();
    for (String src : board.cSources()) {
      String obj = src.replace(".c", ".o");
      objects.add(obj);
      List<String> cmd = new ArrayList<>(List.of(gcc(board)));
      cmd.addAll(board.cflags());
      cmd.addAll(List.of("-c", "-o", obj, src));
      procs.add(new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .start());
    }
    for (Process p : procs) {
      Result r = finish(p, gcc(board), 300);
      assertThat(r.exit()).as("%s failed in %s:%n%s", gcc(board), dir, r.output()).isZero();
      assertThat(r.output()).as("%s output in %s", gcc(board), dir).isEmpty();
    }
    List<String> link = new ArrayList<>(List.of(gcc(board)));
    link.addAll(board.cflags());
    link.addAll(List.of("-nostartfiles", "-T", board.linkerScript(), "-Wl,--gc-sections", "-o",
        board.firmware()));
    link.addAll(objects);
    link.add("-lm");
    Result r = exec(dir, link, 300);
    assertThat(r.exit()).as("link failed in %s:%n%s", dir, r.output()).isZero();
    return dir.resolve(board.firmware());
  }

  /** The documented QEMU command line for {@code elf} with the driver's arguments. */
  static List<String> qemuCommand(Board board, Path elf, String args) {
    List<String> cmd = new ArrayList<>(List.of(board.qemu()));
    cmd.addAll(board.qemuMachine());
    cmd.addAll(List.of("-nographic", "-semihosting-config", "enable=on,target=native",
        "-kernel", elf.toString(), "-append", args));
    return cmd;
  }

  /**
   * Runs {@code elf} under QEMU on the given inputs' bytes ({@code batch} samples each) and
   * returns each output's bytes; QEMU must exit with 0 and print nothing.
   */
  static List<byte[]> run(Board board, Path elf, List<byte[]> inputs, int batch, int outputs)
      throws IOException {
    Path dir = Files.createTempDirectory(elf.getParent(), "run");
    StringBuilder args = new StringBuilder("--batch " + batch + " --output-dir " + dir);
    for (int k = 0; k < inputs.size(); k++) {
      Path in = dir.resolve("in" + k + ".bin");
      Files.write(in, inputs.get(k));
      args.append(' ').append(in);
    }
    Result r = exec(dir, qemuCommand(board, elf, args.toString()), QEMU_TIMEOUT_SECONDS);
    assertThat(r.exit()).as("qemu failed:%n%s", r.output()).isZero();
    assertThat(r.output()).as("qemu printed").isEmpty();
    List<byte[]> outs = new ArrayList<>();
    for (int j = 0; j < outputs; j++) {
      outs.add(Files.readAllBytes(dir.resolve("output" + j + ".bin")));
    }
    return outs;
  }

  record Result(int exit, String output) {}

  static Result exec(Path dir, List<String> cmd, long timeoutSeconds) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    return finish(pb.start(), cmd.get(0), timeoutSeconds);
  }

  /** Waits for {@code p}, killing it after the timeout; output is drained on another thread. */
  private static Result finish(Process p, String what, long timeoutSeconds) throws IOException {
    StringBuilder out = new StringBuilder();
    Thread drain = new Thread(() -> {
      try {
        out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        out.append("(output unreadable: ").append(e.getMessage()).append(')');
      }
    });
    drain.start();
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        drain.join(10_000);
        throw new AssertionError(what + " timed out after " + timeoutSeconds + " s; output:\n"
            + out);
      }
      drain.join();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return new Result(p.exitValue(), out.toString());
  }
}
