package io.kiln.codegen;

import io.kiln.codegen.cpu.CpuCodegen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.ir.Graph;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test helper: generates C for a graph, builds {@code kiln_host} with gcc and runs it. */
public final class NativeBuild {
  public static final List<String> STRICT = List.of("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror");
  public static final List<String> SANITIZE = List.of("-std=c99", "-O1", "-Wall", "-Wextra",
      "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
      "-fno-omit-frame-pointer");

  private static Boolean gcc;

  private NativeBuild() {}

  static boolean gccAvailable() {
    if (gcc == null) {
      try {
        Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        gcc = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
      } catch (IOException | InterruptedException e) {
        gcc = false;
      }
    }
    return gcc;
  }

  /** Skips the calling test unless gcc is on the PATH. */
  public static void assumeGcc() {
    assumeTrue(gccAvailable(), "gcc not found on PATH: generated C is not compiled");
  }

  /** Generates into {@code dir} and builds {@code dir/kiln_host} with {@code flags}. */
  static Path build(Graph g, Path dir, List<String> flags) throws IOException {
    CpuCodegen.generate(g, dir, CodegenOptions.defaults());
    return compile(dir, flags, "kiln_host");
  }

  /**
   * Builds the already generated sources in {@code dir} into {@code dir/exe}, compiling the
   * three translation units in parallel (the model and the weights dominate).
   */
  static Path compile(Path dir, List<String> flags, String exe) throws IOException {
    return compile(dir, flags, exe, List.of("kiln_model.c", "kiln_weights.c", "main_host.c"));
  }

  /** Builds {@code sources} of {@code dir} into {@code dir/exe}, compiling them in parallel. */
  public static Path compile(Path dir, List<String> flags, String exe, List<String> sources) throws IOException {
    List<Process> procs = new ArrayList<>();
    List<String> objects = new ArrayList<>();
    for (String src : sources) {
      String obj = exe + "_" + src.replace(".c", ".o");
      objects.add(obj);
      List<String> cmd = new ArrayList<>(List.of("gcc"));
      cmd.addAll(flags);
      cmd.addAll(List.of("-c", "-o", obj, src));
      procs.add(new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .start());
    }
    for (Process p : procs) {
      Result r = finish(p, "gcc");
      assertThat(r.exit()).as("gcc failed in %s:%n%s", dir, r.output()).isZero();
      assertThat(r.output()).as("gcc output in %s", dir).isEmpty();
    }
    List<String> link = new ArrayList<>(List.of("gcc"));
    link.addAll(flags);
    link.addAll(List.of("-o", exe));
    link.addAll(objects);
    link.add("-lm");
    Result r = exec(dir, link);
    assertThat(r.exit()).as("link failed in %s:%n%s", dir, r.output()).isZero();
    return dir.resolve(exe);
  }

  /** Runs {@code host} on the given input files' bytes; returns each output's bytes. */
  public static List<byte[]> run(Path host, List<byte[]> inputs, int batch, int outputs)
      throws IOException {
    Path dir = Files.createTempDirectory(host.getParent(), "run");
    List<String> cmd = new ArrayList<>(List.of(host.toString(), "--batch",
        Integer.toString(batch), "--output-dir", dir.toString()));
    for (int k = 0; k < inputs.size(); k++) {
      Path in = dir.resolve("in" + k + ".bin");
      Files.write(in, inputs.get(k));
      cmd.add(in.toString());
    }
    Result r = exec(dir, cmd);
    assertThat(r.exit()).as("kiln_host failed:\n%s", r.output()).isZero();
    assertThat(r.output()).as("kiln_host printed (sanitizer report?)").isEmpty();
    List<byte[]> outs = new ArrayList<>();
    for (int j = 0; j < outputs; j++) {
      outs.add(Files.readAllBytes(dir.resolve("output" + j + ".bin")));
    }
    return outs;
  }

  record Result(int exit, String output) {}

  static Result exec(Path dir, List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    return finish(pb.start(), cmd.get(0));
  }

  private static Result finish(Process p, String what) throws IOException {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + what);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return new Result(p.exitValue(), out);
  }
}
