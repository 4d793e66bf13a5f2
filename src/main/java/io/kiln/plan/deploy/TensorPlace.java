package io.kiln.plan.deploy;

/**
 * Where an activation tensor lives in the L2 arena and how it is laid out there: NHWC, so element
 * (row, col, channel) is at {@code region.offset + ((row · cols) + col) · channels + channel}
 * (one byte per element for the int8 tensors accelerators move). A fully-connected layer's
 * {@code [batch, features]} is one row of {@code batch} columns.
 */
public record TensorPlace(int value, Region region, int rows, int cols, int channels, int elementBytes) {
  public TensorPlace {
    if ((long) rows * cols * channels * elementBytes != region.bytes()) {
      throw new IllegalArgumentException("tensor %" + value + " of " + rows + "x" + cols + "x" + channels + " x "
          + elementBytes + " B in a region of " + region.bytes() + " B");
    }
  }

  /** Address of the first byte of element (row, col, channel). */
  public long address(long row, long col, long channel) {
    return region.offset() + ((row * cols + col) * channels + channel) * elementBytes;
  }
}
