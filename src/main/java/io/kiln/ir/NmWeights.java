package io.kiln.ir;

import java.util.List;
import java.util.Optional;

/**
 * The packed form of {@link Encoding.NM} weights, and the conversion from and to the dense
 * equivalent that a constant's data holds: {@code rows} output channels of {@code length}
 * reduction weights each become {@code rows × valuesPerRow} values and as many offsets (position
 * of the value inside its group), the offsets packed little-end first, each channel's starting
 * on a byte.
 *
 * <p>A group with fewer than N non-zeros is filled with zero values at offset 0, which is inside
 * every group, even a short last one, so a kernel's selection never reads past the reduction.
 */
public record NmWeights(Encoding.NM format, int rows, int length, int[] values, int[] offsets) {

  /** The formats recognition tries, sparsest first; the kernels take every one of them. */
  public static final List<Encoding.NM> FORMATS = List.of(new Encoding.NM(1, 16),
      new Encoding.NM(1, 8), new Encoding.NM(1, 4));

  public NmWeights {
    values = values.clone();
    offsets = offsets.clone();
  }

  /** The number of values (and offsets) per channel. */
  public int valuesPerRow() {
    return format.valuesPerRow(length);
  }

  /**
   * Packs {@code dense} ({@code rows} channels of {@code length} weights, channel-major).
   *
   * @throws IllegalArgumentException if some group has more than N non-zeros, naming it
   */
  public static NmWeights pack(int[] dense, int rows, Encoding.NM f) {
    if (rows <= 0 || dense.length % rows != 0) {
      throw new IllegalArgumentException(dense.length + " weights are not " + rows + " channels");
    }
    int length = dense.length / rows;
    int per = f.valuesPerRow(length);
    int[] values = new int[rows * per];
    int[] offsets = new int[rows * per];
    for (int r = 0; r < rows; r++) {
      for (int g = 0; g < f.groups(length); g++) {
        int kept = 0;
        int at = r * per + g * f.n();
        for (int o = 0; o < f.m() && g * f.m() + o < length; o++) {
          int v = dense[r * length + g * f.m() + o];
          if (v == 0) {
            continue;
          }
          if (kept == f.n()) {
            throw new IllegalArgumentException("channel " + r + " group " + g + " has more than "
                + f.n() + " non-zero weight" + (f.n() == 1 ? "" : "s") + " of " + f.m());
          }
          values[at + kept] = v;
          offsets[at + kept] = o;
          kept++;
        }
      }
    }
    return new NmWeights(f, rows, length, values, offsets);
  }

  /** Whether {@code dense} follows {@code f}: no group holds more than N non-zeros. */
  public static boolean follows(int[] dense, int rows, Encoding.NM f) {
    int length = dense.length / rows;
    for (int r = 0; r < rows; r++) {
      for (int start = 0; start < length; start += f.m()) {
        int nonZero = 0;
        for (int o = start; o < Math.min(start + f.m(), length); o++) {
          nonZero += dense[r * length + o] != 0 ? 1 : 0;
        }
        if (nonZero > f.n()) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The sparsest of {@link #FORMATS} that {@code dense} follows, if any; a reduction shorter
   * than a group is never called sparse (there is nothing to skip).
   */
  public static Optional<Encoding.NM> recognize(int[] dense, int rows) {
    int length = rows == 0 ? 0 : dense.length / rows;
    for (Encoding.NM f : FORMATS) {
      if (length >= f.m() && follows(dense, rows, f)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** The dense equivalent: every value at {@code group·M + offset} of its channel. */
  public int[] dense() {
    int[] out = new int[rows * length];
    int per = valuesPerRow();
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < per; j++) {
        int v = values[r * per + j];
        if (v != 0) {
          out[r * length + index(j, offsets[r * per + j])] = v;
        }
      }
    }
    return out;
  }

  /** Position in the channel's reduction of its {@code j}-th value, at {@code offset}. */
  public int index(int j, int offset) {
    return j / format.n() * format.m() + offset;
  }

  /**
   * The offsets as stored: {@link Encoding.NM#offsetsPerByte()} per byte, the first in the low
   * bits, each channel's from a fresh byte.
   */
  public byte[] packedOffsets() {
    int per = valuesPerRow();
    int rowBytes = format.offsetBytesPerRow(length);
    byte[] out = new byte[rows * rowBytes];
    int bits = format.offsetBits();
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < per; j++) {
        int at = r * rowBytes + j / format.offsetsPerByte();
        out[at] |= (byte) (offsets[r * per + j] << (j % format.offsetsPerByte() * bits));
      }
    }
    return out;
  }

  /** Reads offsets back from {@link #packedOffsets()}: the inverse the kernels compute. */
  public static int[] unpackOffsets(byte[] packed, Encoding.NM f, int rows, int length) {
    int per = f.valuesPerRow(length);
    int rowBytes = f.offsetBytesPerRow(length);
    int mask = (1 << f.offsetBits()) - 1;
    int[] out = new int[rows * per];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < per; j++) {
        int b = packed[r * rowBytes + j / f.offsetsPerByte()] & 0xFF;
        out[r * per + j] = (b >> (j % f.offsetsPerByte() * f.offsetBits())) & mask;
      }
    }
    return out;
  }
}
