package io.kiln.target;

/**
 * A DMA engine that copies between two memories, with the costs the scheduler charges per
 * transfer: {@code setupCycles + ceil(bytes / bandwidthBytesPerCycle)} on one channel.
 *
 * @param from source memory name (shared or private)
 * @param to destination memory name
 * @param bandwidthBytesPerCycle sustained bytes per cycle of one channel
 * @param setupCycles fixed cost of one transfer: programming the engine and the first access
 * @param channels transfers that can be in flight at once (double buffering needs 2 in general)
 * @param bidirectional whether the same engine also copies {@code to → from} (outputs back)
 * @param stridedDims how many strided dimensions one transfer can describe (1 = contiguous only,
 *     2 or 3 = a tile of rows in one command); a tile needing more costs one transfer per row
 * @param synchronous whether the host waits for each transfer it issues (a HAL that polls the
 *     engine's status after every command), so that transfers cannot overlap its other work
 * @param rowCycles extra cycles per row after the first of a 2-D or 3-D transfer (address
 *     generation, a new burst), for the simulator
 */
public record DmaEngine(String name, String from, String to, double bandwidthBytesPerCycle,
    long setupCycles, int channels, boolean bidirectional, int stridedDims, boolean synchronous,
    long rowCycles) {

  /** An asynchronous engine with no per-row cost. */
  public DmaEngine(String name, String from, String to, double bandwidthBytesPerCycle,
      long setupCycles, int channels, boolean bidirectional, int stridedDims) {
    this(name, from, to, bandwidthBytesPerCycle, setupCycles, channels, bidirectional, stridedDims,
        false, 0);
  }

  public boolean connects(String source, String destination) {
    return (from.equals(source) && to.equals(destination))
        || (bidirectional && from.equals(destination) && to.equals(source));
  }

  /** Cycles one transfer of {@code bytes} contiguous bytes occupies a channel. */
  public long transferCycles(long bytes) {
    return setupCycles + (long) Math.ceil(bytes / bandwidthBytesPerCycle);
  }
}
