package io.kiln;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * Reads the files a user names (models, input tensors, calibration data, hardware descriptions):
 * regular files only, their size checked against a limit before a byte is read, so a device, a
 * FIFO or a huge file gives one clear error instead of a hang or an exhausted heap.
 */
public final class InputFiles {
  // File-type bits of st_mode (POSIX); the "unix" attribute view exposes them on Linux and macOS.
  private static final int S_IFMT = 0170000;
  private static final int S_IFIFO = 0010000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFBLK = 0060000;
  private static final int S_IFSOCK = 0140000;

  private InputFiles() {}

  /**
   * The size of {@code file} after checking that it is an existing regular file (following
   * symbolic links). {@code what} names the file's role in messages, e.g. "input 0 file".
   */
  public static long regularSize(Path file, String what) {
    return regularSize(file, reason -> what + " " + file + " " + reason);
  }

  /** As {@link #regularSize(Path, String)}; {@code message} turns a reason into the message. */
  public static long regularSize(Path file, Function<String, String> message) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new KilnException(message.apply("does not exist"));
    } catch (AccessDeniedException e) {
      throw new KilnException(message.apply("is not readable (permission denied)"));
    } catch (IOException | SecurityException e) {
      throw new KilnException(message.apply("cannot be read: " + e.getMessage()));
    }
    if (attrs.isRegularFile()) {
      return attrs.size();
    }
    throw new KilnException(message.apply("is " + kind(file, attrs) + ", not a regular file"));
  }

  /**
   * Reads a regular file of at most {@code maxBytes} bytes. The size is checked first; the read
   * is bounded as well, in case the file grows while it is read.
   */
  public static byte[] read(Path file, String what, long maxBytes) {
    return read(file, maxBytes, reason -> what + " " + file + " " + reason);
  }

  /** As {@link #read(Path, String, long)}; {@code message} turns a reason into the message. */
  public static byte[] read(Path file, long maxBytes, Function<String, String> message) {
    long size = regularSize(file, message);
    if (size > maxBytes) {
      throw new KilnException(message.apply("has " + size + " bytes; the limit is " + maxBytes));
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes((int) Math.min(maxBytes, Integer.MAX_VALUE - 64));
      if (in.read() >= 0) {
        throw new KilnException(message.apply("grew past " + maxBytes
            + " bytes while it was read"));
      }
      return bytes;
    } catch (AccessDeniedException e) {
      throw new KilnException(message.apply("is not readable (permission denied)"));
    } catch (IOException e) {
      throw new KilnException(message.apply("cannot be read: " + e.getMessage()));
    }
  }

  /**
   * Reads a regular file that must hold exactly {@code expected} bytes; {@code wrongSize} gives
   * the message for a file of another size, checked before reading.
   */
  public static byte[] readExactly(Path file, String what, long expected,
      LongFunction<String> wrongSize) {
    long size = regularSize(file, what);
    if (size != expected) {
      throw new KilnException(wrongSize.apply(size));
    }
    byte[] bytes = read(file, what, expected);
    if (bytes.length != expected) {
      throw new KilnException(wrongSize.apply(bytes.length));
    }
    return bytes;
  }

  private static String kind(Path file, BasicFileAttributes attrs) {
    if (attrs.isDirectory()) {
      return "a directory";
    }
    try {
      Object mode = Files.getAttribute(file, "unix:mode", new LinkOption[0]);
      if (mode instanceof Integer m) {
        return switch (m & S_IFMT) {
          case S_IFIFO -> "a FIFO (named pipe)";
          case S_IFCHR -> "a character device";
          case S_IFBLK -> "a block device";
          case S_IFSOCK -> "a socket";
          default -> "a special file";
        };
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException
        | SecurityException e) {
      // No unix view on this file system: the generic answer below is still right.
    }
    return "a special file";
  }
}
