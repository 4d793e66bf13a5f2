package io.kiln.plan.tiling;

/** What a solver returns: a tiling, or the reason no tile fits. */
public sealed interface TilingResult {

  /** A tiling that fits. */
  record Solved(Tiling tiling) implements TilingResult {}

  /** No tile size fits; {@code reason} is one sentence a user can act on. */
  record Infeasible(String reason) implements TilingResult {}

  /** The tiling, or an exception carrying the reason. */
  default Tiling orElseThrow() {
    return switch (this) {
      case Solved s -> s.tiling();
      case Infeasible i -> throw new IllegalStateException(i.reason());
    };
  }
}
