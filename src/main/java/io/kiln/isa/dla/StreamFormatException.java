package io.kiln.isa.dla;

import io.kiln.KilnException;

/** A command stream or subgraph file that cannot be read: its byte (or line) offset and the problem. */
public final class StreamFormatException extends KilnException {
  private final long offset;

  public StreamFormatException(long offset, String problem) {
    super("at offset " + offset + ": " + problem);
    this.offset = offset;
  }

  public long offset() {
    return offset;
  }
}
