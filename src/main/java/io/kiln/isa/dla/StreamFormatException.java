package io.kiln.isa.dla;

import io.kiln.KilnException;

/** A command stream or subgraph file that cannot be read: its byte (or line) offset and the problem. */
public final class StreamFormatException extends KilnException {
  private final long offset;

  public StreamFormatException(long offset, String problem) {
    this(offset, "at offset " + offset + ": " + problem, true);
  }

  private StreamFormatException(long offset, String message, boolean unused) {
    super(message);
    this.offset = offset;
  }

  /** A problem on line {@code line} (from 1) of a text file. */
  public static StreamFormatException atLine(int line, String problem) {
    return new StreamFormatException(line, "line " + line + ": " + problem, true);
  }

  public long offset() {
    return offset;
  }
}
