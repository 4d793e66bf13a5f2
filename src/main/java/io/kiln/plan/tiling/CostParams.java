package io.kiln.plan.tiling;

/**
 * What the first cost model needs to know about a unit, as plain numbers that the hardware
 * description will supply: how many of each loop dimension the compute array processes per cycle,
 * the DMA's bandwidth and per-transfer latency, and fixed overheads.
 */
public record CostParams(
    int unrollK,
    int unrollC,
    int unrollOY,
    int unrollOX,
    int unrollFY,
    int unrollFX,
    int dmaBytesPerCycle,
    int dmaLatencyCycles,
    int perTileOverheadCycles,
    int perLayerOverheadCycles) {

  public CostParams {
    if (unrollK < 1 || unrollC < 1 || unrollOY < 1 || unrollOX < 1 || unrollFY < 1 || unrollFX < 1) {
      throw new IllegalArgumentException("unrolling factors must be at least 1");
    }
    if (dmaBytesPerCycle < 1 || dmaLatencyCycles < 0 || perTileOverheadCycles < 0 || perLayerOverheadCycles < 0) {
      throw new IllegalArgumentException("DMA bandwidth must be at least 1 B/cycle and overheads not negative");
    }
  }

  /** MACs the array completes per cycle when every lane is busy. */
  public long peakMacsPerCycle() {
    return (long) unrollK * unrollC * unrollOY * unrollOX * unrollFY * unrollFX;
  }
}
