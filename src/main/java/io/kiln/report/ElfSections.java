package io.kiln.report;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the section names and sizes from an ELF file's section header table (32 or 64 bit,
 * either byte order), which is all {@code size -A} does, without depending on binutils.
 */
final class ElfSections {
  private ElfSections() {}

  /** Thrown for bytes that are not a well-formed ELF file. */
  static final class NotElfException extends Exception {
    NotElfException(String message) {
      super(message);
    }
  }

  /** Section name to size in bytes, in header order; a repeated name sums its sizes. */
  static Map<String, Long> read(byte[] file) throws NotElfException {
    if (file.length < 52 || file[0] != 0x7f || file[1] != 'E' || file[2] != 'L'
        || file[3] != 'F') {
      throw new NotElfException("not an ELF file");
    }
    boolean is64 = switch (file[4]) {
      case 1 -> false;
      case 2 -> true;
      default -> throw new NotElfException("unknown ELF class " + file[4]);
    };
    ByteBuffer b = ByteBuffer.wrap(file).order(switch (file[5]) {
      case 1 -> ByteOrder.LITTLE_ENDIAN;
      case 2 -> ByteOrder.BIG_ENDIAN;
      default -> throw new NotElfException("unknown ELF byte order " + file[5]);
    });
    try {
      long shoff = is64 ? b.getLong(0x28) : Integer.toUnsignedLong(b.getInt(0x20));
      int shentsize = Short.toUnsignedInt(b.getShort(is64 ? 0x3a : 0x2e));
      int shnum = Short.toUnsignedInt(b.getShort(is64 ? 0x3c : 0x30));
      int shstrndx = Short.toUnsignedInt(b.getShort(is64 ? 0x3e : 0x32));
      if (shoff == 0) {
        return Map.of();
      }
      // With 0xff00 sections or more, the real count and string table index live in section 0.
      if (shnum == 0) {
        shnum = (int) size(b, header(shoff, shentsize, 0), is64);
      }
      if (shstrndx == 0xffff) {
        shstrndx = b.getInt(header(shoff, shentsize, 0) + (is64 ? 0x28 : 0x18));
      }
      if (shoff + (long) shnum * shentsize > file.length) {
        throw new NotElfException("truncated ELF file");
      }
      int strtab = (int) offset(b, header(shoff, shentsize, shstrndx), is64);
      Map<String, Long> sizes = new LinkedHashMap<>();
      for (int i = 1; i < shnum; i++) {
        int h = header(shoff, shentsize, i);
        String name = cString(file, strtab + b.getInt(h));
        sizes.merge(name, size(b, h, is64), Long::sum);
      }
      return sizes;
    } catch (IndexOutOfBoundsException e) {
      throw new NotElfException("truncated ELF file");
    }
  }

  private static int header(long shoff, int shentsize, int index) {
    return Math.toIntExact(shoff + (long) shentsize * index);
  }

  private static long offset(ByteBuffer b, int h, boolean is64) {
    return is64 ? b.getLong(h + 0x18) : Integer.toUnsignedLong(b.getInt(h + 0x10));
  }

  private static long size(ByteBuffer b, int h, boolean is64) {
    return is64 ? b.getLong(h + 0x20) : Integer.toUnsignedLong(b.getInt(h + 0x14));
  }

  private static String cString(byte[] file, int start) {
    int end = start;
    while (file[end] != 0) {
      end++;
    }
    return new String(file, start, end - start, StandardCharsets.US_ASCII);
  }
}
