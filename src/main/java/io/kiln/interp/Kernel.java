package io.kiln.interp;

/**
 * A prepared operator instance: all quantization parameters were computed when it was made, so
 * {@link #run} only reads them (prepare once, evaluate many).
 */
@FunctionalInterface
public interface Kernel {
  /** Computes the node's output from its inputs; absent optional inputs are {@code null}. */
  Tensor run(Tensor[] inputs);
}
