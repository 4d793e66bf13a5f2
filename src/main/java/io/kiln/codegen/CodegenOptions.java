package io.kiln.codegen;

import java.util.Objects;
import java.util.Optional;

/**
 * Choices for CPU code generation; {@link #defaults()} (the greedy static memory planner, no
 * board) is what {@code kiln compile} uses. With a {@link Board}, the board's start-up code,
 * linker script, driver and makefile are emitted as well.
 */
public record CodegenOptions(ArenaLayout.Planner planner, Optional<Board> board,
    boolean winograd) {
  public CodegenOptions {
    Objects.requireNonNull(planner);
    Objects.requireNonNull(board);
  }

  public CodegenOptions(ArenaLayout.Planner planner, Optional<Board> board) {
    this(planner, board, false);
  }

  public CodegenOptions(ArenaLayout.Planner planner) {
    this(planner, Optional.empty());
  }

  public static CodegenOptions defaults() {
    return new CodegenOptions(PlannedArena.GREEDY);
  }

  public CodegenOptions withPlanner(ArenaLayout.Planner p) {
    return new CodegenOptions(p, board, winograd);
  }

  public CodegenOptions withBoard(Board b) {
    return new CodegenOptions(planner, Optional.of(b), winograd);
  }

  /** 3x3 stride-1 int8 convolutions use the exact Winograd F(2x2, 3x3) kernel where it fits. */
  public CodegenOptions withWinograd(boolean on) {
    return new CodegenOptions(planner, board, on);
  }
}
