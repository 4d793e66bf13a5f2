package io.kiln.codegen;

import io.kiln.target.CpuCore;
import java.util.Objects;
import java.util.Optional;

/**
 * Choices for CPU code generation; {@link #defaults()} (the greedy static memory planner, no
 * board, the {@link CpuCore#GENERIC generic} core and so plain C kernels) is what
 * {@code kiln compile} uses. With a {@link Board}, the board's start-up code, linker script,
 * driver and makefile are emitted as well; the core chooses the kernel family and must be one
 * the board's core can run.
 */
public record CodegenOptions(ArenaLayout.Planner planner, Optional<Board> board, CpuCore core,
    boolean winograd, SparseKernels sparse) {

  /** Which kernel N:M sparse layers get: by the cost estimate, always sparse, always dense. */
  public enum SparseKernels {
    AUTO, ALWAYS, NEVER
  }

  public CodegenOptions {
    Objects.requireNonNull(sparse);
    Objects.requireNonNull(planner);
    Objects.requireNonNull(board);
    Objects.requireNonNull(core);
  }

  public CodegenOptions(ArenaLayout.Planner planner, Optional<Board> board) {
    this(planner, board, CpuCore.GENERIC, false, SparseKernels.AUTO);
  }

  public CodegenOptions(ArenaLayout.Planner planner) {
    this(planner, Optional.empty(), CpuCore.GENERIC, false, SparseKernels.AUTO);
  }

  public static CodegenOptions defaults() {
    return new CodegenOptions(PlannedArena.GREEDY);
  }

  public CodegenOptions withPlanner(ArenaLayout.Planner p) {
    return new CodegenOptions(p, board, core, winograd, sparse);
  }

  public CodegenOptions withBoard(Board b) {
    return new CodegenOptions(planner, Optional.of(b), core, winograd, sparse);
  }

  public CodegenOptions withCore(CpuCore c) {
    return new CodegenOptions(planner, board, c, winograd, sparse);
  }

  /** 3x3 stride-1 int8 convolutions use the exact Winograd F(2x2, 3x3) kernel where it fits. */
  public CodegenOptions withWinograd(boolean on) {
    return new CodegenOptions(planner, board, core, on, sparse);
  }

  public CodegenOptions withSparse(SparseKernels s) {
    return new CodegenOptions(planner, board, core, winograd, s);
  }
}
