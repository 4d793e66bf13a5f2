package io.kiln.target;

import io.kiln.target.SystolicParameters.Im2col;

/**
 * How a systolic unit's SRAM arrays feed its array, the part of {@link SystolicParameters} that
 * neither the array ({@code rows}, {@code cols}) nor the L1 memory ({@code sram}) of the
 * description says: a description declares it as {@code systolic: {word: 8, im2col: implicit,
 * tiles: auto}} on the accelerator.
 *
 * @param word elements one SRAM array reads or writes per cycle (a power of two)
 * @param im2col how a convolution becomes GEMMs on the array
 * @param tiles decomposed-filter tiles side by side on the rows; 0 for the default rule
 */
public record SystolicFeed(int word, Im2col im2col, int tiles) {
  /** The TPU-v2-like default: 8-element words, implicit channel-first im2col, the default rule. */
  public static final SystolicFeed DEFAULT = new SystolicFeed(8, Im2col.IMPLICIT, 0);

  public SystolicFeed {
    java.util.Objects.requireNonNull(im2col);
    if (word < 1 || tiles < 0) {
      throw new IllegalArgumentException("word must be positive and tiles not negative");
    }
  }
}
