package io.kiln.interp;

/**
 * A kernel that keeps state from one inference to the next (a noise estimate, a variable
 * tensor): the {@link Interpreter} runs consecutive samples on the same state and
 * {@link Interpreter#reset} returns every such kernel to its initial state.
 */
public interface Stateful {
  /** Back to the state before the first inference. */
  void reset();

  /** Bytes of state the kernel keeps between inferences (what generated code keeps static). */
  long stateBytes();
}
