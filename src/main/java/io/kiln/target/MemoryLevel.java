package io.kiln.target;

import java.util.List;

/**
 * One memory of the SoC with the costs of using it: a shared level (L1 scratchpad, L2, flash) or
 * an accelerator's private memory (then named {@code <accelerator>.weights}).
 *
 * @param sizeBytes capacity; the tiler's budget for L1, the arena's limit for L2
 * @param bandwidthBytesPerCycle what a reading unit gets per cycle once a transfer streams
 * @param latencyCycles cycles before the first byte of an access arrives
 * @param energyPjPerByte energy of reading or writing one byte, for the energy report
 * @param writable false for memories that only hold constants (flash): no activations there
 * @param readers names of the units (CPU, accelerators) that can load from it directly
 * @param ports how many DMA transfers can stream through it at once, for the simulator (0: as many
 *     as there are channels, contention not modelled)
 */
public record MemoryLevel(String name, long sizeBytes, double bandwidthBytesPerCycle,
    long latencyCycles, double energyPjPerByte, boolean writable, List<String> readers, int ports) {

  public MemoryLevel {
    readers = List.copyOf(readers);
    if (ports < 0) {
      throw new IllegalArgumentException("ports " + ports);
    }
  }

  /** A memory whose port contention is not modelled. */
  public MemoryLevel(String name, long sizeBytes, double bandwidthBytesPerCycle, long latencyCycles,
      double energyPjPerByte, boolean writable, List<String> readers) {
    this(name, sizeBytes, bandwidthBytesPerCycle, latencyCycles, energyPjPerByte, writable, readers, 0);
  }

  public boolean readableBy(String unit) {
    return readers.contains(unit);
  }
}
