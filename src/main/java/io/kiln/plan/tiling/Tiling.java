package io.kiln.plan.tiling;

/**
 * A solver's answer for one layer: the tile size and tile count per dimension, the input tile
 * (with its halo) the buffers are sized for, the memory reserved and the objective reached.
 * Tiles start at multiples of the tile size; the last one along a dimension may be partial.
 */
public record Tiling(
    int tileK,
    int tileC,
    int tileOY,
    int tileOX,
    int inputRows,
    int inputCols,
    int tilesK,
    int tilesC,
    int tilesOY,
    int tilesOX,
    Footprint footprint,
    long objective) {

  /** Builds the tiling of tile sizes {@code tile} (by {@link Dim#ordinal()}). */
  public static Tiling of(TileProblem p, int[] tile) {
    LayerShape l = p.layer();
    Footprint f = Footprint.of(p, tile);
    int tc = l.depthwise() ? tile[0] : tile[1];
    return new Tiling(tile[0], tc, tile[2], tile[3], f.inputRows(), f.inputCols(),
        count(l.k(), tile[0]), l.depthwise() ? count(l.k(), tile[0]) : count(l.c(), tile[1]),
        count(l.oy(), tile[2]), count(l.ox(), tile[3]), f, ObjectiveValue.of(p, tile, f));
  }

  /** Tile size along {@code d}. */
  public int tile(Dim d) {
    return switch (d) {
      case K -> tileK;
      case C -> tileC;
      case OY -> tileOY;
      case OX -> tileOX;
    };
  }

  /** Number of tiles along {@code d}. */
  public int tiles(Dim d) {
    return switch (d) {
      case K -> tilesK;
      case C -> tilesC;
      case OY -> tilesOY;
      case OX -> tilesOX;
    };
  }

  /** Total number of tiles (for depthwise, channel tiles are counted once). */
  public long tileCount(boolean depthwise) {
    return (long) tilesK * (depthwise ? 1 : tilesC) * tilesOY * tilesOX;
  }

  /** The tile sizes indexed by {@link Dim#ordinal()}. */
  public int[] sizes() {
    return new int[] {tileK, tileC, tileOY, tileOX};
  }

  @Override
  public String toString() {
    return "K" + tileK + "/" + tilesK + " C" + tileC + "/" + tilesC + " OY" + tileOY + "/" + tilesOY
        + " OX" + tileOX + "/" + tilesOX + " in " + inputRows + "x" + inputCols + ", L1 " + footprint.l1Bytes()
        + " B, obj " + objective;
  }

  private static int count(int full, int tile) {
    return (full + tile - 1) / tile;
  }
}
