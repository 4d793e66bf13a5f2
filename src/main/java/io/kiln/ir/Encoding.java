package io.kiln.ir;

/**
 * How a constant's values are stored for the unit that reads them: the element type says what
 * the values are, the encoding how many bits each takes. Everything but weights is {@link Dense};
 * target-exact lowering gives the weights of a ternary array {@link Ternary} cells; pruned weights
 * are {@link NM} (the non-zero values plus their offsets inside each group, see {@link NmWeights}).
 * A constant's data always holds the dense-equivalent values, so every reader that does not know
 * an encoding still computes the right thing; an encoding says how a unit stores them.
 */
public sealed interface Encoding {

  Encoding DENSE = new Dense();
  Encoding TERNARY = new Ternary();

  /** Bits one stored value takes, for an element of {@code dtype}. */
  int bitsPerValue(DType dtype);

  /** Bits the whole tensor takes as stored, with whatever indices the encoding needs. */
  default long storedBits(DType dtype, Shape shape) {
    return (long) shape.elements() * bitsPerValue(dtype);
  }

  /** One element per {@code dtype.bytes()}: the default. */
  record Dense() implements Encoding {
    @Override
    public int bitsPerValue(DType dtype) {
      return dtype.bytes() * 8;
    }

    @Override
    public String toString() {
      return "dense";
    }
  }

  /**
   * Values in {-1, 0, +1} (the element type is i8), each held in a 2-bit cell of an analog
   * in-memory-compute array; the per-output-channel scale is the weights' quantization and is
   * folded into the unit's output stage.
   */
  record Ternary() implements Encoding {
    @Override
    public int bitsPerValue(DType dtype) {
      return 2;
    }

    @Override
    public String toString() {
      return "ternary";
    }
  }

  /**
   * N:M semi-structured sparsity: in every group of {@code m} consecutive weights along the
   * reduction dimension of one output channel (dimension 0 is the channel; the rest, flattened in
   * order, is the reduction: FY·FX·C for a conv filter, the input for fully-connected) at most
   * {@code n} are non-zero. Stored as {@code n} values per group and, for each, its offset inside
   * the group in {@link #offsetBits()} bits; a channel's offsets start on a byte. A last group
   * shorter than {@code m} (reduction length not a multiple of {@code m}) still stores {@code n}.
   */
  record NM(int n, int m) implements Encoding {
    public NM {
      if (m != 4 && m != 8 && m != 16) {
        throw new IllegalArgumentException("N:M sparsity needs M in {4, 8, 16}, got " + m);
      }
      if (n < 1 || n > 2 || n >= m) {
        throw new IllegalArgumentException("N:M sparsity needs N in {1, 2} below M, got " + n
            + ":" + m);
      }
    }

    /** 2-bit offsets for groups of 4, 4-bit for 8 and 16. */
    public int offsetBits() {
      return m == 4 ? 2 : 4;
    }

    /** Offsets one byte holds. */
    public int offsetsPerByte() {
      return 8 / offsetBits();
    }

    /** Groups in one channel's reduction of {@code length} weights (the last may be short). */
    public int groups(int length) {
      return (length + m - 1) / m;
    }

    /** Stored values (and offsets) of one channel. */
    public int valuesPerRow(int length) {
      return groups(length) * n;
    }

    /** Bytes of one channel's packed offsets. */
    public int offsetBytesPerRow(int length) {
      return (valuesPerRow(length) + offsetsPerByte() - 1) / offsetsPerByte();
    }

    @Override
    public int bitsPerValue(DType dtype) {
      return dtype.bytes() * 8;
    }

    @Override
    public long storedBits(DType dtype, Shape shape) {
      int rows = shape.dim(0);
      int length = shape.elements() / Math.max(rows, 1);
      return (long) rows * (valuesPerRow(length) * (long) bitsPerValue(dtype)
          + 8L * offsetBytesPerRow(length));
    }

    @Override
    public String toString() {
      return n + ":" + m;
    }
  }
}
