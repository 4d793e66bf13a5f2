package io.kiln.ir;

/**
 * The static type of an IR value: element type, shape, quantization and, for constants that a
 * unit stores narrower than their element type (ternary weights), the encoding.
 */
public record TensorType(DType dtype, Shape shape, Quantization quant, Encoding encoding) {
  public TensorType {
    java.util.Objects.requireNonNull(dtype);
    java.util.Objects.requireNonNull(shape);
    java.util.Objects.requireNonNull(quant);
    java.util.Objects.requireNonNull(encoding);
  }

  /** A densely stored type: what everything but lowered weights has. */
  public TensorType(DType dtype, Shape shape, Quantization quant) {
    this(dtype, shape, quant, Encoding.DENSE);
  }

  public static TensorType of(DType dtype, int... dims) {
    return new TensorType(dtype, Shape.of(dims), Quantization.NONE);
  }

  public static TensorType quantized(DType dtype, Shape shape, double scale, long zeroPoint) {
    return new TensorType(dtype, shape, Quantization.perTensor(scale, zeroPoint));
  }

  public TensorType withShape(Shape s) {
    return new TensorType(dtype, s, quant, encoding);
  }

  public TensorType withQuant(Quantization q) {
    return new TensorType(dtype, shape, q, encoding);
  }

  public TensorType withEncoding(Encoding e) {
    return new TensorType(dtype, shape, quant, e);
  }

  public int elements() {
    return shape.elements();
  }

  /** Bytes of the values in their element type (the IR's and the CPU's storage). */
  public long bytes() {
    return (long) shape.elements() * dtype.bytes();
  }

  /** Bytes of the values as {@link #encoding()} stores them, packed without padding. */
  public long encodedBytes() {
    return (encoding.storedBits(dtype, shape) + 7) / 8;
  }
}
