package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Shape;
import io.kiln.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A runtime tensor of the reference interpreter. Integer types up to 32 bits live widened in
 * {@link #ints}, int64 in {@link #longs} and float32 in {@link #floats}, so kernels are plain
 * loops over Java arrays.
 */
public final class Tensor {
  public final DType dtype;
  public final Shape shape;
  public final int[] ints;
  public final long[] longs;
  public final float[] floats;

  private Tensor(DType dtype, Shape shape, int[] ints, long[] longs, float[] floats) {
    this.dtype = dtype;
    this.shape = shape;
    this.ints = ints;
    this.longs = longs;
    this.floats = floats;
  }

  public static Tensor zeros(DType dtype, Shape shape) {
    int n = shape.elements();
    return switch (dtype) {
      case INT64, UINT64 -> new Tensor(dtype, shape, null, new long[n], null);
      case FLOAT32 -> new Tensor(dtype, shape, null, null, new float[n]);
      default -> new Tensor(dtype, shape, new int[n], null, null);
    };
  }

  public static Tensor ofInts(DType dtype, Shape shape, int[] values) {
    check(shape, values.length);
    return new Tensor(dtype, shape, values, null, null);
  }

  public static Tensor ofLongs(Shape shape, long[] values) {
    return ofLongs(DType.INT64, shape, values);
  }

  /** An int64 or uint64 tensor (uint64 holds the raw bits). */
  public static Tensor ofLongs(DType dtype, Shape shape, long[] values) {
    check(shape, values.length);
    return new Tensor(dtype, shape, null, values, null);
  }

  public static Tensor ofFloats(Shape shape, float[] values) {
    check(shape, values.length);
    return new Tensor(DType.FLOAT32, shape, null, null, values);
  }

  /** Decodes raw little-endian bytes, the format of model files and reference outputs. */
  public static Tensor fromBytes(DType dtype, Shape shape, byte[] bytes) {
    long expected = (long) shape.elements() * dtype.bytes();
    if (bytes.length != expected) {
      throw new KilnException("expected " + expected + " bytes for " + dtype.shortName() + shape
          + ", got " + bytes.length);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    Tensor t = zeros(dtype, shape);
    int n = shape.elements();
    for (int i = 0; i < n; i++) {
      switch (dtype) {
        case INT8 -> t.ints[i] = b.get();
        case UINT8, BOOL -> t.ints[i] = b.get() & 0xFF;
        case INT16 -> t.ints[i] = b.getShort();
        case INT32, UINT32 -> t.ints[i] = b.getInt();
        case INT64, UINT64 -> t.longs[i] = b.getLong();
        case FLOAT32 -> t.floats[i] = b.getFloat();
      }
    }
    return t;
  }

  /** The data of a constant value. */
  public static Tensor fromConstant(Value v) {
    if (!v.isConstant()) {
      throw new IllegalArgumentException("value %" + v.id() + " is not a constant");
    }
    return fromBytes(v.dtype(), v.shape(), v.data().bytes());
  }

  public byte[] toBytes() {
    int n = shape.elements();
    ByteBuffer b = ByteBuffer.allocate(n * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (dtype) {
        case INT8, UINT8, BOOL -> b.put((byte) ints[i]);
        case INT16 -> b.putShort((short) ints[i]);
        case INT32, UINT32 -> b.putInt(ints[i]);
        case INT64, UINT64 -> b.putLong(longs[i]);
        case FLOAT32 -> b.putFloat(floats[i]);
      }
    }
    return b.array();
  }

  /** Same data viewed with another shape of equal element count. */
  public Tensor reshaped(Shape newShape) {
    check(newShape, shape.elements());
    return new Tensor(dtype, newShape, ints, longs, floats);
  }

  public int elements() {
    return shape.elements();
  }

  private static void check(Shape shape, int length) {
    if (shape.elements() != length) {
      throw new IllegalArgumentException(shape + " needs " + shape.elements() + " elements, got "
          + length);
    }
  }
}
