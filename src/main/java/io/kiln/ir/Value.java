package io.kiln.ir;

import java.util.Optional;

/**
 * A tensor value of the graph: a graph input, a constant (with data) or an operator result.
 * Values are identified by their index in {@link Graph#values()}.
 */
public record Value(int id, String name, TensorType type, ConstData data) {
  public Value {
    java.util.Objects.requireNonNull(name);
    java.util.Objects.requireNonNull(type);
    if (data != null && data.byteLength() != type.bytes()) {
      throw new IllegalArgumentException("constant '" + name + "' has " + data.byteLength()
          + " bytes but its type " + type.dtype().shortName() + type.shape() + " needs "
          + type.bytes());
    }
  }

  public boolean isConstant() {
    return data != null;
  }

  public Optional<ConstData> constant() {
    return Optional.ofNullable(data);
  }

  public DType dtype() {
    return type.dtype();
  }

  public Shape shape() {
    return type.shape();
  }

  public Quantization quant() {
    return type.quant();
  }
}
