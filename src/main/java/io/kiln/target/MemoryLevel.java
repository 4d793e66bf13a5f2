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
 */
public record MemoryLevel(String name, long sizeBytes, double bandwidthBytesPerCycle,
    long latencyCycles, double energyPjPerByte, boolean writable, List<String> readers) {

  public MemoryLevel {
    readers = List.copyOf(readers);
  }

  public boolean readableBy(String unit) {
    return readers.contains(unit);
  }
}
