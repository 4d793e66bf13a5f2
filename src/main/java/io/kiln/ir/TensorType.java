package io.kiln.ir;

/** The static type of an IR value: element type, shape and quantization. */
public record TensorType(DType dtype, Shape shape, Quantization quant) {
  public TensorType {
    java.util.Objects.requireNonNull(dtype);
    java.util.Objects.requireNonNull(shape);
    java.util.Objects.requireNonNull(quant);
  }

  public static TensorType of(DType dtype, int... dims) {
    return new TensorType(dtype, Shape.of(dims), Quantization.NONE);
  }

  public static TensorType quantized(DType dtype, Shape shape, double scale, long zeroPoint) {
    return new TensorType(dtype, shape, Quantization.perTensor(scale, zeroPoint));
  }

  public TensorType withShape(Shape s) {
    return new TensorType(dtype, s, quant);
  }

  public TensorType withQuant(Quantization q) {
    return new TensorType(dtype, shape, q);
  }

  public int elements() {
    return shape.elements();
  }

  public long bytes() {
    return (long) shape.elements() * dtype.bytes();
  }
}
