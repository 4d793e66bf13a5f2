package io.kiln.plan.weights;

import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;
import io.kiln.target.LoopDim;
import java.util.List;

/**
 * Where each weight of one layer sits in the weights region of its blob: a position in bits for
 * every (output channel, input channel, kernel row, kernel column), and the slice of the region
 * that holds one tile's weights. Positions are distinct and the region's other bits are
 * padding, zero in a packed blob. A depthwise layer's channel is its {@code k}; {@code c} is 0.
 */
public sealed interface Arrangement permits Arrangement.ModelOrder, Arrangement.ArrayBlocks,
    Arrangement.ArrayTiles, Arrangement.Crossbar, Arrangement.Operand, NmTiles {

  /** The layer whose weights are arranged. */
  LayerShape shape();

  /** Bits of one stored weight (two's complement). */
  int bits();

  /** Bytes of the weights region. */
  long bytes();

  /** Bit position of weight (k, c, fy, fx); bit 0 is the least significant bit of byte 0. */
  long bitOffset(int k, int c, int fy, int fx);

  /** The bytes holding the weights of output channels {@code k} × input channels {@code c}. */
  BlobSlice slice(Span k, Span c);

  /** A short description for reports: {@code array_blocks K16}, {@code crossbar K tile 64}. */
  String describe();

  /** Bytes the weights take without padding: packed at {@link #bits()} each (see {@link NmTiles}). */
  default long packedBytes() {
    return ceilDiv(weights() * bits(), 8);
  }

  /** The number of real weights (what an unpadded dense layout would store). */
  default long weights() {
    LayerShape l = shape();
    return (long) l.k() * (l.depthwise() ? 1 : l.c()) * l.fy() * l.fx();
  }

  /**
   * TFLite's order: conv {@code [K, FY, FX, C]}, fully-connected {@code [K, C]} (FY = FX = 1),
   * depthwise {@code [1, FY, FX, K]}; one byte per weight. The CPU's kernels read it.
   */
  record ModelOrder(LayerShape shape) implements Arrangement {
    @Override
    public int bits() {
      return 8;
    }

    @Override
    public long bytes() {
      return weights();
    }

    @Override
    public long bitOffset(int k, int c, int fy, int fx) {
      LayerShape l = shape;
      long i = l.depthwise() ? ((long) fy * l.fx() + fx) * l.k() + k
          : (((long) k * l.fy() + fy) * l.fx() + fx) * l.c() + c;
      return 8 * i;
    }

    @Override
    public BlobSlice slice(Span k, Span c) {
      LayerShape l = shape;
      long taps = (long) l.fy() * l.fx();
      if (l.depthwise()) {
        // Channels are innermost: one run of the tile's channels per tap.
        return BlobSlice.of(k.start(), k.length(), l.k(), taps);
      }
      // One run of the tile's input channels per (output channel, tap): a uniform stride of C.
      return BlobSlice.of((k.start() * taps) * l.c() + c.start(), c.length(), l.c(), k.length() * taps);
    }

    @Override
    public String describe() {
      return "tflite";
    }
  }

  /**
   * Blocks of the array: output channels in blocks of {@code kBlock}, input channels in blocks of
   * {@code cBlock}, ordered {@code [K-block][C-block][FY][FX][c in block][k in block]}; one byte
   * per weight; partial blocks padded. A depthwise layer's channels are its K (C-blocks: one).
   * Tiles start at block boundaries (the tiler's constraint), so a tile is a run per K-block.
   */
  record ArrayBlocks(LayerShape shape, int kBlock, int cBlock) implements Arrangement {
    public ArrayBlocks {
      if (kBlock < 1 || cBlock < 1 || (shape.depthwise() && cBlock != 1)) {
        throw new IllegalArgumentException("blocks of " + kBlock + " x " + cBlock + " for " + shape);
      }
    }

    @Override
    public int bits() {
      return 8;
    }

    private long cBlocks() {
      return shape.depthwise() ? 1 : ceilDiv(shape.c(), cBlock);
    }

    /** Bytes of the C-blocks' share of one K-block at one tap: {@code cBlock · kBlock}. */
    private long blockBytes() {
      return cBlocks() * cBlock * shape.fy() * shape.fx() * kBlock;
    }

    @Override
    public long bytes() {
      return ceilDiv(shape.k(), kBlock) * blockBytes();
    }

    @Override
    public long bitOffset(int k, int c, int fy, int fx) {
      long cb = shape.depthwise() ? 0 : c / cBlock;
      int ci = shape.depthwise() ? 0 : c % cBlock;
      long i = (k / kBlock) * blockBytes()
          + (((cb * shape.fy() + fy) * shape.fx() + fx) * cBlock + ci) * kBlock + k % kBlock;
      return 8 * i;
    }

    @Override
    public BlobSlice slice(Span k, Span c) {
      Span cs = shape.depthwise() ? new Span(0, 1) : c;
      if (k.start() % kBlock != 0 || cs.start() % cBlock != 0) {
        throw new IllegalArgumentException("tile K" + k + " C" + c + " does not start on a block of " + kBlock
            + " x " + cBlock);
      }
      long perCBlock = (long) cBlock * shape.fy() * shape.fx() * kBlock;
      long run = ceilDiv(cs.length(), cBlock) * perCBlock;
      long blocks = ceilDiv(k.end(), kBlock) - k.start() / kBlock;
      return BlobSlice.of((k.start() / kBlock) * blockBytes() + (cs.start() / cBlock) * perCBlock, run,
          blockBytes(), blocks);
    }

    @Override
    public String describe() {
      return "array_blocks K" + kBlock + (cBlock > 1 ? " C" + cBlock : "");
    }
  }

  /**
   * The weight tiles of the layer's tiling, unpadded: K tiles of {@code tileK} output channels
   * outermost, C tiles of {@code tileC} input channels next (the last of each may be narrower),
   * each tile {@code [FY][FX][c in tile][k in tile]}, one byte per weight. A tile is what the
   * array's rows and columns take: its reduction (taps, then the tile's channels) on the rows, its
   * output channels on the columns; the array fills the rows and columns a fold leaves over with
   * zeros itself, so none are stored. A depthwise layer's channels are its K (one C tile of one
   * channel), its taps the reduction. The region is exactly the layer's weights.
   */
  record ArrayTiles(LayerShape shape, int tileK, int tileC) implements Arrangement {
    public ArrayTiles {
      if (tileK < 1 || tileK > shape.k() || tileC < 1 || (shape.depthwise() ? tileC != 1 : tileC > shape.c())) {
        throw new IllegalArgumentException("weight tiles of K " + tileK + " x C " + tileC + " for " + shape);
      }
    }

    @Override
    public int bits() {
      return 8;
    }

    private int channels() {
      return shape.depthwise() ? 1 : shape.c();
    }

    private long taps() {
      return (long) shape.fy() * shape.fx();
    }

    @Override
    public long bytes() {
      return weights();
    }

    /** Where the tile holding channels (k, c) starts; K tiles before it hold all C channels. */
    private long tileOffset(int kTile, int cTile, int width) {
      return (long) kTile * tileK * channels() * taps() + (long) cTile * tileC * taps() * width;
    }

    private int width(int kTile) {
      return Math.min(tileK, shape.k() - kTile * tileK);
    }

    private int height(int cTile) {
      return Math.min(tileC, channels() - cTile * tileC);
    }

    @Override
    public long bitOffset(int k, int c, int fy, int fx) {
      int kt = k / tileK;
      int ct = shape.depthwise() ? 0 : c / tileC;
      int w = width(kt);
      int ci = shape.depthwise() ? 0 : c - ct * tileC;
      long i = tileOffset(kt, ct, w) + (((long) fy * shape.fx() + fx) * height(ct) + ci) * w + (k - kt * tileK);
      return 8 * i;
    }

    @Override
    public BlobSlice slice(Span k, Span c) {
      Span cs = shape.depthwise() ? new Span(0, 1) : c;
      int kt = k.start() / tileK;
      int ct = cs.start() / tileC;
      if (k.start() % tileK != 0 || cs.start() % tileC != 0 || k.length() != width(kt) || cs.length() != height(ct)) {
        throw new IllegalArgumentException("K" + k + " C" + c + " is not one of the " + tileK + " x " + tileC
            + " weight tiles");
      }
      return BlobSlice.contiguous(tileOffset(kt, ct, k.length()), (long) k.length() * cs.length() * taps());
    }

    @Override
    public String describe() {
      return "array_tiles K" + tileK + (shape.depthwise() || tileC == shape.c() ? "" : " C" + tileC);
    }
  }

  /**
   * A crossbar image per K tile of {@code tileK} output channels (the last may be narrower):
   * rows are the reduction in {@code rowOrder} (outermost first), columns the tile's channels,
   * {@code bits} per cell, every row padded to whole bytes. Images follow each other.
   */
  record Crossbar(LayerShape shape, int tileK, int bits, List<LoopDim> rowOrder) implements Arrangement {
    public Crossbar {
      rowOrder = List.copyOf(rowOrder);
      if (shape.depthwise()) {
        throw new IllegalArgumentException("a depthwise layer has no crossbar image");
      }
      if (tileK < 1 || tileK > shape.k()) {
        throw new IllegalArgumentException("K tile " + tileK + " of " + shape.k() + " channels");
      }
      if (bits < 1 || 8 % bits != 0) {
        throw new IllegalArgumentException("crossbar cells of " + bits + " bits do not pack whole bytes");
      }
      if (rowOrder.size() != 3
          || !List.copyOf(new java.util.TreeSet<>(rowOrder)).equals(List.of(LoopDim.C, LoopDim.FY, LoopDim.FX))) {
        throw new IllegalArgumentException("crossbar rows must order C, FY and FX, got " + rowOrder);
      }
    }

    /** Rows of every image: the whole reduction. */
    public long rows() {
      return (long) shape.c() * shape.fy() * shape.fx();
    }

    private long rowBytes(int channels) {
      return ceilDiv((long) channels * bits, 8);
    }

    private int tileWidth(int tile) {
      return Math.min(tileK, shape.k() - tile * tileK);
    }

    private long imageOffset(int tile) {
      return tile * rows() * rowBytes(tileK);
    }

    @Override
    public long bytes() {
      int tiles = (int) ceilDiv(shape.k(), tileK);
      return imageOffset(tiles - 1) + rows() * rowBytes(tileWidth(tiles - 1));
    }

    private long size(LoopDim d) {
      return switch (d) {
        case C -> shape.c();
        case FY -> shape.fy();
        case FX -> shape.fx();
        default -> throw new IllegalStateException(d + " is not a reduction loop");
      };
    }

    /** The row of weight (c, fy, fx): its loops in {@link #rowOrder}, outermost first. */
    long row(int c, int fy, int fx) {
      long r = 0;
      for (LoopDim d : rowOrder) {
        r = r * size(d) + switch (d) {
          case C -> c;
          case FY -> fy;
          default -> fx;
        };
      }
      return r;
    }

    @Override
    public long bitOffset(int k, int c, int fy, int fx) {
      int tile = k / tileK;
      long rb = rowBytes(tileWidth(tile));
      return 8 * (imageOffset(tile) + row(c, fy, fx) * rb) + (long) (k - tile * tileK) * bits;
    }

    @Override
    public BlobSlice slice(Span k, Span c) {
      int tile = k.start() / tileK;
      if (k.start() % tileK != 0 || k.length() != tileWidth(tile)) {
        throw new IllegalArgumentException("K" + k + " is not one of the " + tileK + "-channel crossbar tiles");
      }
      long rb = rowBytes(k.length());
      // Rows of a C range: for each value of the loops outside C, a run of the C range times
      // the loops inside it.
      long outer = 1;
      long inner = 1;
      boolean seenC = false;
      for (LoopDim d : rowOrder) {
        if (d == LoopDim.C) {
          seenC = true;
        } else if (seenC) {
          inner *= size(d);
        } else {
          outer *= size(d);
        }
      }
      return BlobSlice.of(imageOffset(tile) + c.start() * inner * rb, c.length() * inner * rb,
          shape.c() * inner * rb, outer);
    }

    @Override
    public String describe() {
      return "crossbar K tile " + tileK + ", " + bits + "-bit cells";
    }
  }

  /**
   * A matmul's right operand as it sits in the activation arena, one batch's matrix: weight
   * (k, c), its column k and depth row c, at element {@code k · kStride + c · cStride} (BATCH_MATMUL
   * without adj_y: {@code [C][K]}, kStride 1; with adj_y: {@code [K][C]}, cStride 1). Not a blob:
   * the DMA reads it from the arena at the batch's matrix, so it is never packed.
   */
  record Operand(LayerShape shape, int kStride, int cStride) implements Arrangement {
    public Operand {
      if (shape.fy() != 1 || shape.fx() != 1 || shape.depthwise()
          || !((kStride == 1 && cStride == shape.k()) || (cStride == 1 && kStride == shape.c()))) {
        throw new IllegalArgumentException("a matmul operand of strides " + kStride + ", " + cStride + " for " + shape);
      }
    }

    @Override
    public int bits() {
      return 8;
    }

    @Override
    public long bytes() {
      return (long) shape.k() * shape.c();
    }

    @Override
    public long bitOffset(int k, int c, int fy, int fx) {
      return 8 * ((long) k * kStride + (long) c * cStride);
    }

    @Override
    public BlobSlice slice(Span k, Span c) {
      return kStride == 1
          ? BlobSlice.of((long) c.start() * cStride + k.start(), k.length(), cStride, c.length())
          : BlobSlice.of((long) k.start() * kStride + c.start(), c.length(), kStride, k.length());
    }

    @Override
    public String describe() {
      return kStride == 1 ? "activation [C][K]" : "activation [K][C]";
    }
  }

  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
