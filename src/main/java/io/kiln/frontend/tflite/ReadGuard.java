package io.kiln.frontend.tflite;

import io.kiln.KilnException;

/**
 * Keeps a corrupt flatbuffer from making the importer allocate or loop without bound: every
 * vector the importer walks must fit in the file, and the total number of elements walked stays
 * proportional to the file size (vectors can alias one another in a hostile file).
 */
final class ReadGuard {
  /** TFLite's kernels handle at most 6 dimensions; anything far beyond is corruption. */
  static final int MAX_RANK = 16;

  private final String fileName;
  private final int fileSize;
  private long elementsLeft;

  ReadGuard(String fileName, int fileSize) {
    this.fileName = fileName;
    this.fileSize = fileSize;
    // An honest file never shares vectors much; 4x its size plus slack is far above any real model.
    this.elementsLeft = 4L * fileSize + 4096;
  }

  /** Checks a vector length read from the file before anything loops over or allocates it. */
  int length(int length, int elementBytes, String what) {
    if (length < 0 || (long) length * elementBytes > fileSize) {
      throw corrupt(what + " claims " + Integer.toUnsignedString(length) + " elements, more than"
          + " the file's " + fileSize + " bytes can hold");
    }
    elementsLeft -= length;
    if (elementsLeft < 0) {
      throw corrupt("vectors overlap far more than a real model's do");
    }
    return length;
  }

  /** An index read from the file must address an element of a vector of {@code size}. */
  int index(long index, int size, String what) {
    if (index < 0 || index >= size) {
      throw corrupt(what + " " + index + " is out of range (" + size + " entries)");
    }
    return (int) index;
  }

  Corrupt corrupt(String why) {
    return new Corrupt("corrupt .tflite file " + fileName + ": " + why);
  }

  /** The file is damaged (as opposed to a valid model Kiln does not support). */
  static final class Corrupt extends KilnException {
    Corrupt(String message) {
      super(message);
    }
  }

  int fileSize() {
    return fileSize;
  }

  String fileName() {
    return fileName;
  }

  /** Makes text from the file safe for a one-line message. */
  static String printable(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      sb.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
    }
    return s.length() > 80 ? sb + "..." : sb.toString();
  }
}
