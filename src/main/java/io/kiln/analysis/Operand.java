package io.kiln.analysis;

import io.kiln.ir.TensorType;

/**
 * One input or output of an operator as reports show it: which value, its type, and whether it
 * is a constant (a parameter) or an activation.
 */
public record Operand(int value, String name, TensorType type, boolean constant) {
  /** Bytes as stored: a constant's in its encoding (N:M weights: values plus offsets). */
  public long bytes() {
    return constant ? type.encodedBytes() : type.bytes();
  }
}
