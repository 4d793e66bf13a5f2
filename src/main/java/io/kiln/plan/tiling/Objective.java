package io.kiln.plan.tiling;

import java.util.List;

/**
 * The DORY-style objective to maximize: α · (L1 bytes of one tile's data, see
 * {@link Footprint#dataBytes()}) + Σ βᵢ · Hᵢ(tile). Integer weights keep the value exact, so two
 * solvers can be compared with {@code ==}.
 */
public record Objective(long alpha, List<Heuristic> heuristics) {

  public Objective {
    heuristics = List.copyOf(heuristics);
    if (alpha < 0) {
      throw new IllegalArgumentException("alpha must not be negative, got " + alpha);
    }
  }

  /** Only the memory term: the largest tile that fits. */
  public static Objective memoryOnly() {
    return new Objective(1, List.of());
  }

  /** The same α without the heuristics (what a sweep compares against). */
  public Objective withoutHeuristics() {
    return new Objective(alpha, List.of());
  }
}
