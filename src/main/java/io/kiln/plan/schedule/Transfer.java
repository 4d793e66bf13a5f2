package io.kiln.plan.schedule;

import io.kiln.plan.weights.BlobSlice;
import java.util.Optional;

/**
 * One DMA transfer of a layer's schedule.
 *
 * @param step position in the layer's ordered schedule (transfers and compute calls share it)
 * @param from source memory name (for example {@code l2})
 * @param to destination memory name (for example {@code l1}, {@code digital.weights})
 * @param bytes bytes moved
 * @param kind which buffer it fills or drains
 * @param tileIndex the compute tile it belongs to (inputs/weights: consumed by; outputs: produced by)
 * @param cycles cycles the DMA channel is busy: setup plus bytes over bandwidth
 * @param source for weights and parameters, what it reads of the layer's weight blob (offsets
 *     from the blob's start; the network's weight placement says where the blob is); empty for
 *     activations
 */
public record Transfer(int step, String from, String to, long bytes, Kind kind, int tileIndex, long cycles,
    Optional<BlobSlice> source) {

  /** The buffer a transfer moves. */
  public enum Kind {
    INPUT, WEIGHTS,
    /** Per-output-channel bias and requantization records, into L1 beside the outputs. */
    PARAMS,
    OUTPUT,
    /**
     * A second input aligned element for element with the output tile (an element-wise
     * operator's right operand, or the skip tensor of a residual Add fused into a convolution).
     */
    OPERAND
  }

  public Transfer {
    if (source.isPresent() && source.get().bytes() != bytes) {
      throw new IllegalArgumentException("transfer of " + bytes + " B reads a slice of " + source.get().bytes() + " B");
    }
  }

  /** A transfer of activations, which reads no weight blob. */
  public Transfer(int step, String from, String to, long bytes, Kind kind, int tileIndex, long cycles) {
    this(step, from, to, bytes, kind, tileIndex, cycles, Optional.empty());
  }

  /** The same transfer at another position of the schedule. */
  public Transfer withStep(int newStep) {
    return new Transfer(newStep, from, to, bytes, kind, tileIndex, cycles, source);
  }
}
