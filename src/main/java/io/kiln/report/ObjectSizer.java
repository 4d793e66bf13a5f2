package io.kiln.report;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import io.kiln.target.CpuCore;

/**
 * Measures {@link ObjectSizes} by compiling the generated model and weights with the host's C
 * compiler into a temporary directory and reading the objects' section headers. The host
 * compiler's sizes are an estimate of a microcontroller build (different instruction set), but
 * .rodata (weights, tables) and .bss (the arena) carry over almost exactly.
 */
public final class ObjectSizer {
  /** The files of the library proper; the host driver is not part of what ships. */
  static final List<String> SOURCES = List.of("kiln_model.c", "kiln_weights.c");
  static final List<String> FLAGS = List.of("-std=c99", "-O2", "-c");
  /** Compilers tried, in order, on the PATH. */
  static final List<String> COMPILERS = List.of("gcc", "cc");
  private static final long TIMEOUT_SECONDS = 300;

  private ObjectSizer() {}

  /** Measures the library in {@code libDir} with the first compiler found on the PATH. */
  public static ObjectSizes measure(Path libDir) {
    return measure(libDir, findCompiler());
  }

  /**
   * Measures the library generated for {@code core}: with the host compiler for the generic
   * core, with the core's cross compiler (arm-none-eabi-gcc or riscv64-unknown-elf-gcc) and flags
   * for any other core (whose kernels may not compile for the host at all).
   */
  public static ObjectSizes measure(Path libDir, CpuCore core) {
    if (core == CpuCore.GENERIC) {
      return measure(libDir);
    }
    Optional<Path> arm = onPath(List.of(core.crossCompiler()));
    if (arm.isEmpty()) {
      return ObjectSizes.unavailable(null, core.crossCompiler() + " not found for core "
          + core.id());
    }
    return measure(libDir, arm, core.gccFlags(), SOURCES);
  }

  /** Measures with {@code compiler}, or reports "no C compiler" when it is empty. */
  public static ObjectSizes measure(Path libDir, Optional<Path> compiler) {
    return measure(libDir, compiler, List.of(), SOURCES);
  }

  /** Measures {@code sources} of the library in {@code libDir} (a deployment adds its memories). */
  public static ObjectSizes measureSources(Path libDir, Optional<Path> compiler, List<String> sources) {
    return measure(libDir, compiler, List.of(), sources);
  }

  private static ObjectSizes measure(Path libDir, Optional<Path> compiler,
      List<String> coreFlags, List<String> sources) {
    if (compiler.isEmpty()) {
      return ObjectSizes.unavailable(null, "no C compiler");
    }
    String cc = compiler.get().getFileName().toString();
    List<String> flags = new ArrayList<>(coreFlags);
    flags.addAll(FLAGS);
    String command = cc + " " + String.join(" ", flags);
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("kiln-size");
      // Both files compile at once: the model and its weights take about the same time.
      List<Process> procs = new ArrayList<>();
      List<Path> objects = new ArrayList<>();
      for (String src : sources) {
        Path obj = tmp.resolve(src.replace(".c", ".o"));
        objects.add(obj);
        List<String> cmd = new ArrayList<>(List.of(compiler.get().toString()));
        cmd.addAll(flags);
        cmd.addAll(List.of("-o", obj.toString(), src));
        procs.add(new ProcessBuilder(cmd).directory(libDir.toFile()).redirectErrorStream(true)
            .start());
      }
      String failure = null;
      for (int i = 0; i < procs.size(); i++) {
        String problem = finish(procs.get(i));
        if (problem != null && failure == null) {
          failure = cc + " failed on " + sources.get(i) + ": " + problem;
        }
      }
      if (failure != null) {
        return ObjectSizes.unavailable(cc, failure);
      }
      long text = 0;
      long rodata = 0;
      long data = 0;
      long bss = 0;
      for (Path obj : objects) {
        for (Map.Entry<String, Long> s : ElfSections.read(Files.readAllBytes(obj)).entrySet()) {
          String name = s.getKey();
          if (inSection(name, ".text")) {
            text += s.getValue();
          } else if (inSection(name, ".rodata")) {
            rodata += s.getValue();
          } else if (inSection(name, ".data")) {
            data += s.getValue();
          } else if (inSection(name, ".bss")) {
            bss += s.getValue();
          }
        }
      }
      return ObjectSizes.measured(cc, command, text, rodata, data, bss);
    } catch (IOException e) {
      return ObjectSizes.unavailable(cc, "cannot run " + cc + ": " + e.getMessage());
    } catch (ElfSections.NotElfException e) {
      return ObjectSizes.unavailable(cc, "cannot read the object's sections: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ObjectSizes.unavailable(cc, "interrupted");
    } finally {
      deleteTree(tmp);
    }
  }

  /** {@code .text} itself and the compiler's subsections such as {@code .text.startup}. */
  static boolean inSection(String name, String section) {
    return name.equals(section) || name.startsWith(section + ".");
  }

  /** The first of {@link #COMPILERS} that is an executable on the PATH. */
  public static Optional<Path> findCompiler() {
    return onPath(COMPILERS);
  }

  private static Optional<Path> onPath(List<String> names) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String name : names) {
      for (String dir : path.split(File.pathSeparator)) {
        if (dir.isEmpty()) {
          continue;
        }
        Path p = Path.of(dir, name);
        if (Files.isRegularFile(p) && Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** Waits for a compiler run; null when it succeeded, else the first line it printed. */
  private static String finish(Process p) throws IOException, InterruptedException {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timed out after " + TIMEOUT_SECONDS + " s";
    }
    if (p.exitValue() == 0) {
      return null;
    }
    return out.lines().filter(l -> !l.isBlank()).findFirst()
        .orElse("exit code " + p.exitValue());
  }

  private static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // A leftover temporary directory is not worth failing a compile for.
    }
  }
}
