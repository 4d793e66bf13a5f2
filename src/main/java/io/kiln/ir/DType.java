package io.kiln.ir;

/** Element types of IR tensors, with their storage size and the short name the text form uses. */
public enum DType {
  INT8("i8", 1, true, -128, 127),
  UINT8("u8", 1, true, 0, 255),
  INT16("i16", 2, true, Short.MIN_VALUE, Short.MAX_VALUE),
  INT32("i32", 4, true, Integer.MIN_VALUE, Integer.MAX_VALUE),
  INT64("i64", 8, true, Long.MIN_VALUE, Long.MAX_VALUE),
  /** Unsigned 32-bit (TFLM's audio front-end); the interpreter keeps the raw bits in an int. */
  UINT32("u32", 4, true, 0, 0xFFFF_FFFFL),
  /**
   * Unsigned 64-bit (TFLM's audio front-end); raw bits in a long, so {@link #max()} is clamped to
   * {@code Long.MAX_VALUE}.
   */
  UINT64("u64", 8, true, 0, Long.MAX_VALUE),
  FLOAT32("f32", 4, false, 0, 0),
  BOOL("bool", 1, true, 0, 1);

  private final String shortName;
  private final int bytes;
  private final boolean integer;
  private final long min;
  private final long max;

  DType(String shortName, int bytes, boolean integer, long min, long max) {
    this.shortName = shortName;
    this.bytes = bytes;
    this.integer = integer;
    this.min = min;
    this.max = max;
  }

  public String shortName() {
    return shortName;
  }

  public int bytes() {
    return bytes;
  }

  public boolean isInteger() {
    return integer;
  }

  public boolean isFloat() {
    return !integer;
  }

  /** Smallest representable value; only meaningful for integer types. */
  public long min() {
    return min;
  }

  /** Largest representable value; only meaningful for integer types. */
  public long max() {
    return max;
  }

  public static DType fromShortName(String s) {
    for (DType d : values()) {
      if (d.shortName.equals(s)) {
        return d;
      }
    }
    throw new IllegalArgumentException("unknown dtype '" + s + "'");
  }
}
