package io.kiln.ir;

/**
 * How a constant's values are stored for the unit that reads them: the element type says what
 * the values are, the encoding how many bits each takes. Everything but weights is {@link Dense};
 * target-exact lowering gives the weights of a ternary array {@link Ternary} cells. Room is left
 * for int4 cells and N:M structured sparsity (values plus indices), which will be further
 * records.
 */
public sealed interface Encoding {

  Encoding DENSE = new Dense();
  Encoding TERNARY = new Ternary();

  /** Bits one stored value takes, for an element of {@code dtype}. */
  int bitsPerValue(DType dtype);

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
}
