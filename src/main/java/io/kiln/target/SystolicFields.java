package io.kiln.target;

/**
 * The systolic part of the hardware-description format: an accelerator's {@code systolic:} block
 * ({@link SystolicFeed}) and the checks a systolic unit's array and SRAM must pass, each error
 * naming its field. {@link HardwareLoader} calls it; {@link HardwareWriter} writes the block.
 */
final class SystolicFields {
  private SystolicFields() {}

  /**
   * A systolic unit's {@code systolic: {word: 8, im2col: implicit, tiles: auto}}: every field
   * optional, defaults as in {@link SystolicFeed#DEFAULT}; {@code tiles} is {@code auto} or a count.
   */
  static SystolicFeed read(YamlFields f) {
    int word = f.intValue("word", 1, SystolicFeed.DEFAULT.word());
    if (Integer.bitCount(word) != 1) {
      throw f.error("word", "must be a power of two (elements per SRAM access), got " + word);
    }
    SystolicParameters.Im2col im2col = f.enumValue("im2col", SystolicParameters.Im2col.class,
        SystolicFeed.DEFAULT.im2col());
    int tiles = 0;
    if (f.has("tiles") && !f.string("tiles").equalsIgnoreCase("auto")) {
      try {
        tiles = Integer.parseInt(f.string("tiles"));
      } catch (NumberFormatException e) {
        throw f.error("tiles", "expected auto or a whole number, got '" + f.string("tiles") + "'");
      }
      if (tiles < 1) {
        throw f.error("tiles", "must be auto or positive, got " + tiles);
      }
    }
    return new SystolicFeed(word, im2col, tiles);
  }

  /**
   * A systolic array needs rows and cols, one MAC per PE a cycle as its peak, and its L1 is one
   * SRAM array per row: the memory's bandwidth is rows x word (the word a power of two, from
   * {@code systolic.word} or, without one, from the bandwidth), the multi-tile count fits the
   * rows, and the size holds at least one tile.
   */
  static void validate(Accelerator a, MemoryLevel l1, String at, YamlFields f) {
    if (a.arrayDim("rows").isEmpty() || a.arrayDim("cols").isEmpty()) {
      throw f.errorAt(at + ".array", "a systolic array needs rows and cols, e.g. {rows: 128, cols: 128}");
    }
    int rows = a.arrayDim("rows").get().size();
    int cols = a.arrayDim("cols").get().size();
    // The engine times every fold from the array (one MAC per PE a cycle), so a peak below the
    // cells would make the planned utilization exceed 1.
    if (a.peakMacsPerCycle() != (long) rows * cols) {
      throw f.errorAt(at + ".peak_macs_per_cycle", "a " + rows + "x" + cols + " systolic array does "
          + (long) rows * cols + " MACs a cycle (one per PE), got " + a.peakMacsPerCycle());
    }
    double perArray = l1.bandwidthBytesPerCycle() / rows;
    int word;
    if (a.systolic().isPresent()) {
      word = a.systolic().get().word();
      if (perArray != word) {
        throw f.errorAt(at + ".systolic.word", "word " + word + " on " + rows + " SRAM arrays needs memory '"
            + l1.name() + "' to have bandwidth_bytes_per_cycle " + (long) rows * word + ", it has "
            + l1.bandwidthBytesPerCycle());
      }
      int tiles = a.systolic().get().tiles();
      if (tiles > rows) {
        throw f.errorAt(at + ".systolic.tiles", tiles + " decomposed-filter tiles do not fit the " + rows
            + " rows of the array");
      }
    } else {
      if (perArray < 1 || perArray != Math.floor(perArray) || Long.bitCount((long) perArray) != 1) {
        throw f.errorAt(at + ".l1", "word: memory '" + l1.name() + "' gives " + perArray + " bytes per "
            + "cycle to each of the " + rows + " SRAM arrays; the word must be a power of two "
            + "(bandwidth_bytes_per_cycle = rows x word)");
      }
      word = (int) perArray;
    }
    SystolicParameters p = new SystolicParameters(rows, cols, word, l1.sizeBytes(),
        SystolicParameters.Im2col.IMPLICIT, 0);
    if (l1.sizeBytes() < p.minimumSramBytes()) {
      throw f.errorAt(at + ".l1", "sram: memory '" + l1.name() + "' of " + l1.sizeBytes()
          + " bytes is too small for any tile (one " + rows + "x" + cols + " weight tile and one "
          + "word per SRAM array, double-buffered, need " + p.minimumSramBytes() + ")");
    }
  }
}
