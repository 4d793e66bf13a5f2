package io.kiln.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32;

/** Immutable little-endian bytes of a constant tensor, with typed element readers. */
public final class ConstData {
  private final byte[] bytes;

  private ConstData(byte[] bytes) {
    this.bytes = bytes;
  }

  public static ConstData ofBytes(byte[] littleEndian) {
    return new ConstData(littleEndian.clone());
  }

  public static ConstData ofInts(DType dtype, int[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      switch (dtype) {
        case INT8, UINT8, BOOL -> b.put((byte) v);
        case INT16 -> b.putShort((short) v);
        case INT32, UINT32 -> b.putInt(v);
        case INT64, UINT64 -> b.putLong(v);
        case FLOAT32 -> throw new IllegalArgumentException("use ofFloats for float32");
      }
    }
    return new ConstData(b.array());
  }

  public static ConstData ofLongs(long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      b.putLong(v);
    }
    return new ConstData(b.array());
  }

  public static ConstData ofFloats(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return new ConstData(b.array());
  }

  public int byteLength() {
    return bytes.length;
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  private ByteBuffer buf() {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Elements as ints (sign- or zero-extended per dtype); int64 values must fit in an int. */
  public int[] asInts(DType dtype) {
    int n = bytes.length / dtype.bytes();
    int[] out = new int[n];
    ByteBuffer b = buf();
    for (int i = 0; i < n; i++) {
      out[i] = switch (dtype) {
        case INT8 -> b.get();
        case UINT8, BOOL -> b.get() & 0xFF;
        case INT16 -> b.getShort();
        case INT32, UINT32 -> b.getInt();
        case INT64, UINT64 -> Math.toIntExact(b.getLong());
        case FLOAT32 -> throw new IllegalArgumentException("float32 data read as ints");
      };
    }
    return out;
  }

  public long[] asLongs(DType dtype) {
    int n = bytes.length / dtype.bytes();
    long[] out = new long[n];
    ByteBuffer b = buf();
    for (int i = 0; i < n; i++) {
      out[i] = switch (dtype) {
        case INT8 -> b.get();
        case UINT8, BOOL -> b.get() & 0xFF;
        case INT16 -> b.getShort();
        case INT32 -> b.getInt();
        case UINT32 -> Integer.toUnsignedLong(b.getInt());
        case INT64, UINT64 -> b.getLong();
        case FLOAT32 -> throw new IllegalArgumentException("float32 data read as longs");
      };
    }
    return out;
  }

  public float[] asFloats() {
    int n = bytes.length / 4;
    float[] out = new float[n];
    ByteBuffer b = buf();
    for (int i = 0; i < n; i++) {
      out[i] = b.getFloat();
    }
    return out;
  }

  /** Short content fingerprint used by the canonical text form. */
  public String fingerprint() {
    CRC32 crc = new CRC32();
    crc.update(bytes);
    return String.format("%08x", crc.getValue());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConstData c && Arrays.equals(bytes, c.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "ConstData[" + bytes.length + " bytes, crc32=" + fingerprint() + "]";
  }
}
