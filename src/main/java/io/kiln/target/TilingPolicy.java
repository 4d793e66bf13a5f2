package io.kiln.target;

import java.util.List;

/**
 * What the tiler maximizes for one accelerator, DORY-style:
 * {@code alpha · (L1 bytes used) + Σ weight_i · H_i(tile)}, and which loops it may cut.
 *
 * @param alpha weight of L1 usage (bigger tiles mean fewer calls and transfers)
 * @param split loop dimensions the tiler may cut into tiles (an NVDLA-like unit splits K only)
 * @param heuristics the utilization heuristics H_i with their weights
 */
public record TilingPolicy(double alpha, List<LoopDim> split, List<Heuristic> heuristics) {

  public TilingPolicy {
    split = List.copyOf(split);
    heuristics = List.copyOf(heuristics);
  }

  /** One term of the tiler's objective. */
  public sealed interface Heuristic {
    double weight();

    /** Prefer tiles of {@code dim} whose size is a multiple of {@code multiple}. */
    record MultipleOf(LoopDim dim, int multiple, double weight) implements Heuristic {}

    /**
     * Prefer large tiles of {@code dim} (tile height: longer contiguous DMA rows, fewer
     * transfers).
     */
    record Maximize(LoopDim dim, double weight) implements Heuristic {}

    /** Prefer tiles that fill the array's unrolling (analog: C·FY·FX rows and K columns). */
    record FillArray(double weight) implements Heuristic {}
  }
}
