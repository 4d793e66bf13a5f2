package io.kiln.target;

/**
 * How an accelerator wants a layer's weights stored in memory, so that its DMA can copy a tile's
 * weights into its weight memory (or L1) in the order the array consumes them. The layer planner
 * derives the exact arrangement of one layer from this choice and the pattern's unrolling
 * ({@code io.kiln.plan.weights}); the CPU always reads the model's order.
 */
public enum WeightLayout {
  /**
   * The model's order, unchanged: TFLite's conv filter {@code [K, FY, FX, C]}, depthwise
   * {@code [1, FY, FX, K]}, fully-connected {@code [K, C]}; one byte per weight.
   */
  TFLITE,
  /**
   * Blocks of the array: each weight loop the pattern unrolls on an array dimension (K, and C
   * where it is unrolled) is cut into blocks of that dimension's factor; the order is
   * {@code [K-block][C-block][FY][FX][c in block][k in block]}, so one block's innermost run is
   * what the array reads in one step. Partial blocks are zero-padded; one byte per weight.
   */
  ARRAY_BLOCKS,
  /**
   * The tiles of the layer's tiling, unpadded: per K tile × C tile, {@code [FY][FX][c][k]}, the
   * tile's reduction on the array's rows and its output channels on the columns, one byte per
   * weight. The array zero-fills the part of a fold a tile leaves over itself, so the stored bytes
   * are the layer's weights. Tiles are cut on the blocks of {@link #ARRAY_BLOCKS} (or the whole
   * dimension), so only the last fold of a dimension is partial.
   */
  ARRAY_TILES,
  /**
   * The image of an in-memory-compute crossbar: per K tile of the layer, rows are the reduction
   * (C, FY, FX in the order the pattern unrolls them on the array's rows), columns the tile's
   * output channels, cells packed at the array's weight width (ternary: 2 bits) and every row
   * padded to whole bytes, so the DMA programs the array row by row.
   */
  CROSSBAR
}
