package io.kiln.plan.tiling;

/**
 * The memories a tile must fit in and how buffers stream through them.
 *
 * <p>{@code weightMemoryBytes} is 0 when weights share L1 with activations; otherwise weights live
 * in their own memory of that size (DIANA's accelerators) and only activations and per-channel
 * parameters count against L1. With {@code doubleBuffered}, every buffer that changes from one
 * tile to the next takes twice its size so that the DMA fills one copy while compute reads the
 * other; a buffer loaded once (because the dimensions it depends on are not split) takes one copy.
 */
public record Memories(long l1Bytes, long weightMemoryBytes, boolean doubleBuffered) {

  public Memories {
    if (l1Bytes < 1) {
      throw new IllegalArgumentException("L1 budget must be at least 1 byte, got " + l1Bytes);
    }
    if (weightMemoryBytes < 0) {
      throw new IllegalArgumentException("weight memory must not be negative, got " + weightMemoryBytes);
    }
  }

  /** Whether weights have a memory of their own. */
  public boolean separateWeights() {
    return weightMemoryBytes > 0;
  }
}
