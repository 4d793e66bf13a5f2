package io.kiln.frontend.tflite;

import io.kiln.InputFiles;
import io.kiln.KilnException;
import io.kiln.frontend.HybridWeights;
import io.kiln.frontend.ImportChecks;
import io.kiln.ir.Graph;
import io.kiln.ir.Verifier;
import java.nio.charset.StandardCharsets;
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
    // A device or FIFO is refused before reading; a Java array holds at most about 2 GB.
    byte[] bytes = InputFiles.read(file, Integer.MAX_VALUE - 64,
        reason -> "cannot read " + file + ": it " + reason);
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return load(bytes, dot > 0 ? name.substring(0, dot) : name);
  }

  /** Imports a model held in memory; {@code name} becomes the graph's name. */
  public static Graph load(byte[] bytes, String name) {
    boolean identified = checkHeader(bytes, name);
    ReadGuard guard = new ReadGuard(name, bytes.length);
    Graph g;
    try {
      g = read(bytes, name, guard);
    } catch (ReadGuard.Corrupt e) {
      // Without the identifier nothing said this was a TFLite file: say so rather than "corrupt".
      throw identified ? e : new KilnException(name + " is not a TFLite model: it has no 'TFL3'"
          + " flatbuffer identifier at byte 4 and does not read as a model without one ("
          + e.getMessage() + ")");
    }
    try {
      return Verifier.verify(HybridWeights.dequantize(ImportChecks.check(Verifier.verify(g))));
    } catch (KilnException e) {
      throw e;
    } catch (RuntimeException e) {
      throw guard.corrupt("the graph is inconsistent: " + ReadGuard.printable(e.toString()));
    }
  }

  private static Graph read(byte[] bytes, String name, ReadGuard guard) {
    try {
      return new ModelReader(bytes, name, guard).read();
    } catch (KilnException e) {
      throw e;
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      // The flatbuffer accessors read at offsets taken from the file without checking them.
      throw guard.corrupt("an offset or length points outside the file's " + bytes.length
          + " bytes (truncated or damaged file)");
    } catch (RuntimeException e) {
      throw guard.corrupt(ReadGuard.printable(e.toString()));
    }
  }

  /**
   * Checks the header and says whether it carries the 'TFL3' identifier. The identifier is
   * optional in FlatBuffers and TFLite Micro runs files without it, so its absence is no error.
   */
  private static boolean checkHeader(byte[] bytes, String name) {
    if (bytes.length == 0) {
      throw new KilnException(name + " is empty, not a TFLite model");
    }
    boolean identified = bytes.length >= HEADER_BYTES;
    for (int i = 0; identified && i < IDENTIFIER.length; i++) {
      identified = bytes[4 + i] == IDENTIFIER[i];
    }
    if (bytes.length < HEADER_BYTES) {
      throw new KilnException(name + " is not a TFLite model: only " + bytes.length
          + " bytes; truncated?");
    }
    long root = Integer.toUnsignedLong(readInt(bytes, 0));
    // The root table needs at least its own 4-byte vtable offset inside the file; without the
    // identifier the table may start right after the root offset.
    long minRoot = identified ? HEADER_BYTES : 4;
    if (root < minRoot || root + 4 > bytes.length) {
      throw new KilnException(identified
          ? "truncated or corrupt .tflite file " + name + ": the root table is at byte " + root
              + " but the file has " + bytes.length + " bytes"
          : name + " is not a TFLite model: it has no 'TFL3' flatbuffer identifier at byte 4 and"
              + " its root offset " + root + " is outside the file's " + bytes.length + " bytes");
    }
    return identified;
  }

  private static int readInt(byte[] b, int at) {
    return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16
        | (b[at + 3] & 0xFF) << 24;
  }
}
