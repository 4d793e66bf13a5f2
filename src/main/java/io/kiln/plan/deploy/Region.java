package io.kiln.plan.deploy;

/**
 * Bytes {@code [offset, offset + bytes)} of one memory of the hardware description: where the
 * arena, a weight blob, an activation or an L1 buffer lives.
 */
public record Region(String memory, long offset, long bytes) {
  public Region {
    if (offset < 0 || bytes < 0) {
      throw new IllegalArgumentException("region of " + bytes + " B at " + offset + " in " + memory);
    }
  }

  /** One past the last byte. */
  public long end() {
    return offset + bytes;
  }

  /** Whether the two regions share a byte. */
  public boolean overlaps(Region o) {
    return memory.equals(o.memory) && offset < o.end() && o.offset < end() && bytes > 0 && o.bytes > 0;
  }

  /** The region {@code at} bytes into this one, {@code n} long. */
  public Region sub(long at, long n) {
    return new Region(memory, offset + at, n);
  }
}
