package io.kiln.plan.schedule;

import io.kiln.plan.tiling.Dim;
import io.kiln.plan.tiling.Halo;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;
import io.kiln.plan.tiling.Tiling;
import java.util.ArrayList;
import java.util.List;

/**
 * The order a layer's tiles run in: output channels, then output rows, then columns, with input
 * channels innermost. C innermost is what lets a split reduction keep only one tile of partial
 * sums in L1 (the tiler reserves exactly that), and writes each output tile once, after its last
 * input-channel tile.
 */
public final class TileOrder {
  private TileOrder() {}

  /** One tile: its output channels, input channels (a depthwise layer's are its K), rows, columns. */
  public record Tile(int index, Span k, Span c, Span y, Span x) {
    /** Whether this tile is the last input-channel tile of its outputs (so it writes them back). */
    public boolean lastC(LayerShape l) {
      return l.depthwise() || c.end() == l.c();
    }
  }

  public static List<Tile> of(LayerShape l, Tiling t) {
    Span[] ks = Halo.tiles(l.k(), t.tile(Dim.K));
    Span[] cs = Halo.tiles(l.c(), t.tile(Dim.C));
    Span[] ys = Halo.tiles(l.oy(), t.tile(Dim.OY));
    Span[] xs = Halo.tiles(l.ox(), t.tile(Dim.OX));
    List<Tile> tiles = new ArrayList<>();
    for (Span k : ks) {
      for (Span y : ys) {
        for (Span x : xs) {
          if (l.depthwise()) {
            tiles.add(new Tile(tiles.size(), k, k, y, x));
          } else {
            for (Span c : cs) {
              tiles.add(new Tile(tiles.size(), k, c, y, x));
            }
          }
        }
      }
    }
    return tiles;
  }
}
