package io.kiln.ir;

import java.util.List;

/**
 * One operator application. {@code inputs} and {@code outputs} are value ids; an absent optional
 * input (for example a convolution without bias) is {@link #ABSENT}. Operators name their input
 * slots with constants (for example {@link Op.Conv2D#BIAS}) so nothing indexes them by bare number.
 */
public record Node(Op op, List<Integer> inputs, List<Integer> outputs) {
  public static final int ABSENT = -1;

  public Node {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  public int input(int slot) {
    return slot < inputs.size() ? inputs.get(slot) : ABSENT;
  }

  public boolean hasInput(int slot) {
    return input(slot) != ABSENT;
  }

  public int output() {
    return outputs.get(0);
  }

  public Node withOp(Op newOp) {
    return newOp.equals(op) ? this : new Node(newOp, inputs, outputs);
  }
}
