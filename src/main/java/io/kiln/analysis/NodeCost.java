package io.kiln.analysis;

import java.util.List;

/**
 * Static costs of one operator: its MACs, the bytes of its constant inputs (weights, biases), and
 * the bytes of the activations it reads and writes. Absent optional inputs are left out of
 * {@code inputs}.
 */
public record NodeCost(int index, String op, List<Operand> inputs, Operand output, long macs,
    long paramBytes, long inputActivationBytes, long outputActivationBytes) {
  public NodeCost {
    inputs = List.copyOf(inputs);
  }
}
