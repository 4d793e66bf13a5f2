package io.kiln.frontend.tflite;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Verifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a {@code .tflite} flatbuffer into Kiln's IR and verifies the result. Whatever the bytes,
 * it either returns a verified graph or throws a one-line {@link KilnException}.
 */
public final class TfliteImporter {
  /** Root offset plus the 4-byte file identifier. */
  private static final int HEADER_BYTES = 8;
  private static final byte[] IDENTIFIER = "TFL3".getBytes(StandardCharsets.US_ASCII);

  private TfliteImporter() {}

  /** Imports {@code file}; the graph is named after the file without its extension. */
  public static Graph load(Path file) {
    long size;
    byte[] bytes;
    try {
      size = Files.size(file);
      if (size > Integer.MAX_VALUE - 64) {
        throw new KilnException("cannot import " + file + ": " + size
            + " bytes is larger than the 2 GB a Java array can hold");
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new KilnException("cannot read " + file + ": " + ReadGuard.printable(e.toString()));
    }
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return load(bytes, dot > 0 ? name.substring(0, dot) : name);
  }

  /** Imports a model held in memory; {@code name} becomes the graph's name. */
  public static Graph load(byte[] bytes, String name) {
    checkHeader(bytes, name);
    ReadGuard guard = new ReadGuard(name, bytes.length);
    Graph g;
    try {
      g = new ModelReader(bytes, name, guard).read();
    } catch (KilnException e) {
      throw e;
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      // The flatbuffer accessors read at offsets taken from the file without checking them.
      throw guard.corrupt("an offset or length points outside the file's " + bytes.length
          + " bytes (truncated or damaged file)");
    } catch (RuntimeException e) {
      throw guard.corrupt(ReadGuard.printable(e.toString()));
    }
    try {
      return Verifier.verify(g);
    } catch (KilnException e) {
      throw e;
    } catch (RuntimeException e) {
      throw guard.corrupt("the graph is inconsistent: " + ReadGuard.printable(e.toString()));
    }
  }

  private static void checkHeader(byte[] bytes, String name) {
    if (bytes.length == 0) {
      throw new KilnException(name + " is empty, not a TFLite model");
    }
    boolean identified = bytes.length >= HEADER_BYTES;
    for (int i = 0; identified && i < IDENTIFIER.length; i++) {
      identified = bytes[4 + i] == IDENTIFIER[i];
    }
    if (!identified) {
      throw new KilnException(name + " is not a TFLite model: it has no 'TFL3' flatbuffer"
          + " identifier at byte 4" + (bytes.length < HEADER_BYTES
              ? " (only " + bytes.length + " bytes; truncated?)" : ""));
    }
    long root = Integer.toUnsignedLong(readInt(bytes, 0));
    // The root table needs at least its own 4-byte vtable offset inside the file.
    if (root < HEADER_BYTES || root + 4 > bytes.length) {
      throw new KilnException("truncated or corrupt .tflite file " + name + ": the root table"
          + " is at byte " + root + " but the file has " + bytes.length + " bytes");
    }
  }

  private static int readInt(byte[] b, int at) {
    return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16
        | (b[at + 3] & 0xFF) << 24;
  }
}
