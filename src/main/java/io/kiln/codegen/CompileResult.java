package io.kiln.codegen;

import java.nio.file.Path;
import java.util.List;

/**
 * What a CPU compile produced: the files written, the memory the generated library needs, and
 * one row per layer for the compile report.
 */
public record CompileResult(Path outDir, List<String> files, long arenaBytes, long weightBytes,
    List<Layer> layers) {

  public CompileResult {
    files = List.copyOf(files);
    layers = List.copyOf(layers);
  }

  /**
   * One emitted layer: its node index, operator, output shape, multiply-accumulates, and where
   * its output lives ({@code arenaOffset} is -1 when it goes straight to an output buffer or
   * aliases its input), which kernel it got and why, and the stack bytes that kernel's buffers
   * take.
   */
  public record Layer(int index, String op, String outputShape, long macs, long arenaOffset,
      long outputBytes, String kernel, String kernelReason, long scratchBytes) {}
}
