package io.kiln.plan.schedule;

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
 */
public record Transfer(int step, String from, String to, long bytes, Kind kind, int tileIndex, long cycles) {

  /**
   * The buffer a transfer moves: {@code OPERAND} is a second input aligned element for element
   * with the output tile (an element-wise operator's right operand, or the skip tensor of a
   * residual Add fused into a convolution).
   */
  public enum Kind {
    INPUT, WEIGHTS, OUTPUT, OPERAND
  }
}
