package io.kiln.plan.tiling;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks a tiling against its problem without the solvers' formulas: it enumerates the tiles,
 * finds the input rows and columns each one reads by walking its kernel taps, and sums the memory
 * of the largest tile of each buffer itself. A tiling is valid when tile sizes satisfy every
 * constraint, the tiles cover each output exactly once (and split the input channels exactly
 * once), every tile's input window is exactly what its outputs read, and no memory overflows.
 */
public final class TilingChecker {
  private TilingChecker() {}

  /** Output volumes up to this size are covered element by element; larger ones per dimension. */
  private static final long ELEMENTWISE_COVER_LIMIT = 1 << 18;

  /** Every violation found, one sentence each; empty when the tiling is valid. */
  public static List<String> check(TileProblem p, Tiling t) {
    List<String> errors = new ArrayList<>();
    LayerShape l = p.layer();
    for (Dim d : Dim.values()) {
      int size = l.size(d);
      int tile = t.tile(d);
      if (tile < 1 || tile > size) {
        errors.add(d + " tile " + tile + " is outside 1.." + size);
        return errors;
      }
    }
    if (l.depthwise() && t.tileC() != t.tileK()) {
      errors.add("depthwise channel tiles differ: K " + t.tileK() + ", C " + t.tileC());
    }
    for (TileConstraint c : p.constraints()) {
      if (!c.allows(t.tile(c.dim()), l.size(c.dim()))) {
        errors.add("tile " + c.dim() + "=" + t.tile(c.dim()) + " breaks constraint '" + c + "'");
      }
      if (l.depthwise() && c.dim() == Dim.C && !c.allows(t.tileK(), l.size(Dim.C))) {
        errors.add("depthwise channel tile " + t.tileK() + " breaks constraint '" + c + "'");
      }
    }

    // Coverage: tile origins per dimension, then each output element once.
    Span[][] spans = new Span[4][];
    for (Dim d : Dim.values()) {
      spans[d.ordinal()] = originsOf(l.size(d), t.tile(d));
      int[] hits = new int[l.size(d)];
      for (Span s : spans[d.ordinal()]) {
        for (int i = s.start(); i < s.end(); i++) {
          hits[i]++;
        }
      }
      for (int i = 0; i < hits.length; i++) {
        if (hits[i] != 1) {
          errors.add(d + " index " + i + " is covered " + hits[i] + " times");
          break;
        }
      }
      if (spans[d.ordinal()].length != t.tiles(d)) {
        errors.add(d + " has " + spans[d.ordinal()].length + " tiles but the tiling says " + t.tiles(d));
      }
    }
    long outputs = (long) l.k() * l.oy() * l.ox();
    if (outputs <= ELEMENTWISE_COVER_LIMIT) {
      int[] hits = new int[(int) outputs];
      for (Span k : spans[0]) {
        for (Span y : spans[2]) {
          for (Span x : spans[3]) {
            for (int ki = k.start(); ki < k.end(); ki++) {
              for (int yi = y.start(); yi < y.end(); yi++) {
                for (int xi = x.start(); xi < x.end(); xi++) {
                  hits[(ki * l.oy() + yi) * l.ox() + xi]++;
                }
              }
            }
          }
        }
      }
      for (int i = 0; i < hits.length; i++) {
        if (hits[i] != 1) {
          errors.add("output element " + i + " is written by " + hits[i] + " tiles");
          break;
        }
      }
    }

    // Halos: the rows/columns each tile's outputs touch, found tap by tap.
    int maxRows = 0;
    for (Span y : spans[2]) {
      Span read = readWindow(y, l.strideY(), l.dilationY(), l.fy(), l.padTop(), l.iy());
      if (!read.equals(Halo.rows(l, y))) {
        errors.add("output rows " + y + " read input rows " + read + " but the halo says " + Halo.rows(l, y));
      }
      maxRows = Math.max(maxRows, read.length());
    }
    int maxCols = 0;
    for (Span x : spans[3]) {
      Span read = readWindow(x, l.strideX(), l.dilationX(), l.fx(), l.padLeft(), l.ix());
      if (!read.equals(Halo.cols(l, x))) {
        errors.add("output cols " + x + " read input cols " + read + " but the halo says " + Halo.cols(l, x));
      }
      maxCols = Math.max(maxCols, read.length());
    }
    if (maxRows > t.inputRows() || maxCols > t.inputCols()) {
      errors.add("input buffer " + t.inputRows() + "x" + t.inputCols() + " is smaller than the largest window "
          + maxRows + "x" + maxCols);
    }

    // Memory, from the largest tile of each buffer; a buffer loaded more than once is doubled
    // under double buffering because the next copy arrives while the current one is in use.
    ElementSizes s = p.sizes();
    boolean db = p.memories().doubleBuffered();
    int kTiles = spans[0].length;
    int cTiles = l.depthwise() ? kTiles : spans[1].length;
    int yxTiles = spans[2].length * spans[3].length;
    long kMax = spans[0][0].length();
    long cMax = l.depthwise() ? kMax : spans[1][0].length();
    long inputs = bytes(cMax * maxRows * maxCols * s.inputBits()) * copies(db, cTiles * yxTiles);
    // Blocked layouts store whole blocks of channels: round the largest tile up to them.
    long cStored = (cMax + s.cBlock() - 1) / s.cBlock() * s.cBlock();
    long kStored = (kMax + s.kBlock() - 1) / s.kBlock() * s.kBlock();
    long perChannelBits = storedBits(s, (l.depthwise() ? 1 : cStored) * l.fy() * l.fx());
    long weights = bytes(kStored * perChannelBits) * copies(db, kTiles * (l.depthwise() ? 1 : cTiles));
    int outBits = !l.depthwise() && cTiles > 1 ? s.accumulatorBits() : s.outputBits();
    long outs = bytes(kMax * spans[2][0].length() * spans[3][0].length() * outBits) * copies(db, kTiles * yxTiles);
    long params = kMax * s.paramBytesPerChannel() * copies(db, kTiles);
    // A second operand arrives element for element with the outputs, so it streams like them.
    long operands = bytes(kMax * spans[2][0].length() * spans[3][0].length() * s.operandBits())
        * copies(db, kTiles * yxTiles);
    Memories m = p.memories();
    long l1 = inputs + outs + operands + params + (m.separateWeights() ? 0 : weights);
    if (l1 > m.l1Bytes()) {
      errors.add("tile needs " + l1 + " B of L1 > budget " + m.l1Bytes() + " B");
    }
    if (t.footprint().l1Bytes() < l1) {
      errors.add("tiling reserves " + t.footprint().l1Bytes() + " B of L1 but a tile needs " + l1 + " B");
    }
    if (m.separateWeights()) {
      if (weights > m.weightMemoryBytes()) {
        errors.add("weight tile needs " + weights + " B > weight memory " + m.weightMemoryBytes() + " B");
      }
      if (t.footprint().weightMemoryBytes() < weights) {
        errors.add("tiling reserves " + t.footprint().weightMemoryBytes() + " B of weight memory but a tile needs "
            + weights + " B");
      }
    }
    return errors;
  }

  private static Span[] originsOf(int size, int tile) {
    List<Span> out = new ArrayList<>();
    for (int origin = 0; origin < size; origin += tile) {
      out.add(new Span(origin, Math.min(tile, size - origin)));
    }
    return out.toArray(Span[]::new);
  }

  /** The first to last input index any tap of outputs {@code out} reads inside the input. */
  private static Span readWindow(Span out, int stride, int dilation, int taps, int padBefore, int size) {
    int first = Integer.MAX_VALUE;
    int last = Integer.MIN_VALUE;
    for (int o = out.start(); o < out.end(); o++) {
      for (int j = 0; j < taps; j++) {
        int i = o * stride - padBefore + j * dilation;
        if (i >= 0 && i < size) {
          first = Math.min(first, i);
          last = Math.max(last, i);
        }
      }
    }
    return first > last ? new Span(0, 0) : new Span(first, last - first + 1);
  }

  /** Bits one output channel's weights occupy: N of every M stored, each with its index. */
  private static long storedBits(ElementSizes s, long reduction) {
    long groups = (reduction + s.sparseM() - 1) / s.sparseM();
    long stored = s.sparseN() == s.sparseM() ? reduction : groups * s.sparseN();
    return stored * (s.weightBits() + s.indexBits());
  }

  private static long bytes(long bits) {
    return (bits + 7) / 8;
  }

  private static int copies(boolean doubleBuffered, long loads) {
    return doubleBuffered && loads > 1 ? 2 : 1;
  }
}
