package io.kiln.codegen;

import java.util.Objects;

/** Choices for CPU code generation; {@link #defaults()} (the greedy static memory planner) is what {@code kiln compile} uses. */
public record CodegenOptions(ArenaLayout.Planner planner) {
  public CodegenOptions {
    Objects.requireNonNull(planner);
  }

  public static CodegenOptions defaults() {
    return new CodegenOptions(PlannedArena.GREEDY);
  }

  public CodegenOptions withPlanner(ArenaLayout.Planner p) {
    return new CodegenOptions(p);
  }
}
