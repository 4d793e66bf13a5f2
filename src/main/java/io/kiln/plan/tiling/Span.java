package io.kiln.plan.tiling;

/** A half-open run of indices {@code [start, start + length)} along one dimension. */
public record Span(int start, int length) {

  /** One past the last index. */
  public int end() {
    return start + length;
  }
}
