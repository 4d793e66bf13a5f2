package io.kiln.plan.weights;

import io.kiln.ir.Encoding;
import io.kiln.ir.NmWeights;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;

/**
 * N:M sparse weights as a unit that declares the format stores them: per weight tile of
 * {@code tileK} output channels × {@code tileC} input channels (the last of each may be narrower;
 * K tiles outermost), the tile's non-zero values, one int8 byte each, and then their offsets,
 * {@code offsetBits} each, packed from bit 0 of the byte after the last value (the first offset in
 * the low bits, continuing across bytes); the next tile starts on the next byte. One DMA transfer
 * brings a tile's values and offsets together.
 *
 * <p>Inside a tile each channel's reduction runs in the model's order restricted to the tile:
 * taps (FY, FX) outermost, the tile's input channels innermost, {@code R = FY·FX·tileC} weights in
 * groups of M, each group stored as its N values (zero values at offset 0 where it has fewer
 * non-zeros, see {@link NmWeights}), so a channel holds {@code V = ceil(R / M)·N} values. The
 * tile's channels are stored in blocks of {@code kBlock} (the array's columns; the last block may
 * be narrower, unpadded): per block, value 0 of each of its channels, then value 1 of each, and
 * so on, so what the array consumes in one reduction step (one value and one offset for every
 * column) lies together. Entry {@code e} of a tile, value and offset alike, is that of channel
 * {@code k}, value {@code v} at {@code e = (k / kBlock)·kBlock·V + v·w + k % kBlock}, with
 * {@code w} the width of {@code k}'s block. The tiler only cuts C into multiples of M when C is
 * one (so the tile's groups are the layer's own), and otherwise not at all. These are the bytes
 * {@link io.kiln.plan.tiling.ElementSizes#weightBytes} counts for N:M sizes:
 * {@code k·V + ceil(k·V·offsetBits / 8)}.
 */
public record NmTiles(LayerShape shape, Encoding.NM format, int tileK, int tileC, int offsetBits, int kBlock)
    implements Arrangement {

  public NmTiles {
    if (shape.depthwise()) {
      throw new IllegalArgumentException("a depthwise layer has no N:M weights");
    }
    if (tileK < 1 || tileK > shape.k() || tileC < 1 || tileC > shape.c()) {
      throw new IllegalArgumentException("tiles of K " + tileK + " x C " + tileC + " for " + shape);
    }
    if (tileC != shape.c() && (tileC % format.m() != 0 || shape.c() % format.m() != 0)) {
      throw new IllegalArgumentException("a C tile of " + tileC + " of " + shape.c() + " channels cuts the " + format
          + " groups");
    }
    if (offsetBits < 1 || offsetBits > 8 || (1 << offsetBits) < format.m()) {
      throw new IllegalArgumentException(offsetBits + "-bit offsets for " + format);
    }
    if (kBlock < 1) {
      throw new IllegalArgumentException("channel blocks of " + kBlock);
    }
  }

  /** Entry of channel {@code k} (of {@code channels} in the tile), value {@code v} of {@code per}. */
  public int entry(int k, int v, int channels, int per) {
    int block = k / kBlock;
    int width = Math.min(kBlock, channels - block * kBlock);
    return block * kBlock * per + v * width + k % kBlock;
  }

  private int taps() {
    return shape.fy() * shape.fx();
  }

  /** Values of one channel of a C tile of {@code channels}. */
  public int valuesPerChannel(int channels) {
    return format.valuesPerRow(taps() * channels);
  }

  /** Bytes of the tile of {@code k} output × {@code c} input channels: values, then offsets. */
  public long tileBytes(int k, int c) {
    long values = (long) k * valuesPerChannel(c);
    return values + Arrangement.ceilDiv(values * offsetBits, 8);
  }

  private int kTiles() {
    return (int) Arrangement.ceilDiv(shape.k(), tileK);
  }

  private int cTiles() {
    return (int) Arrangement.ceilDiv(shape.c(), tileC);
  }

  private Span kSpan(int i) {
    return new Span(i * tileK, Math.min(tileK, shape.k() - i * tileK));
  }

  private Span cSpan(int j) {
    return new Span(j * tileC, Math.min(tileC, shape.c() - j * tileC));
  }

  /** Where tile (K tile {@code i}, C tile {@code j}) starts. */
  private long tileOffset(int i, int j) {
    long at = 0;
    for (int a = 0; a < kTiles(); a++) {
      for (int b = 0; b < cTiles(); b++) {
        if (a == i && b == j) {
          return at;
        }
        at += tileBytes(kSpan(a).length(), cSpan(b).length());
      }
    }
    throw new IllegalArgumentException("no tile " + i + ", " + j);
  }

  @Override
  public int bits() {
    return 8;
  }

  @Override
  public long bytes() {
    return tileOffset(kTiles() - 1, cTiles() - 1)
        + tileBytes(kSpan(kTiles() - 1).length(), cSpan(cTiles() - 1).length());
  }

  @Override
  public long packedBytes() {
    return bytes();
  }

  /** N:M tiles store the non-zero values only: a pruned weight has no position. */
  @Override
  public long bitOffset(int k, int c, int fy, int fx) {
    throw new UnsupportedOperationException("N:M tiles store the non-zero values only; see pack");
  }

  @Override
  public BlobSlice slice(Span k, Span c) {
    int i = k.start() / tileK;
    int j = c.start() / tileC;
    if (k.start() % tileK != 0 || c.start() % tileC != 0 || !k.equals(kSpan(i)) || !c.equals(cSpan(j))) {
      throw new IllegalArgumentException("K" + k + " C" + c + " is not one of the " + tileK + " x " + tileC
          + " N:M weight tiles");
    }
    return BlobSlice.contiguous(tileOffset(i, j), tileBytes(k.length(), c.length()));
  }

  @Override
  public String describe() {
    return format + " tiles K" + tileK + (tileC < shape.c() ? " C" + tileC : "") + ", int8 values + " + offsetBits
        + "-bit offsets" + (kBlock > 1 ? ", K" + kBlock + "-interleaved" : "");
  }

  /** The reduction of channel {@code k} restricted to C tile {@code c}, from model-order {@code w}. */
  private int[] localReduction(int[] w, int k, Span c) {
    int[] out = new int[taps() * c.length()];
    for (int t = 0; t < taps(); t++) {
      for (int ci = 0; ci < c.length(); ci++) {
        out[t * c.length() + ci] = w[(k * taps() + t) * shape.c() + c.start() + ci];
      }
    }
    return out;
  }

  /**
   * The weights region of {@code w} (model order {@code [K, FY, FX, C]}).
   *
   * @throws IllegalArgumentException if some group of a tile holds more than N non-zeros
   */
  public byte[] pack(int[] w) {
    if (w.length != weights()) {
      throw new IllegalArgumentException(w.length + " weights for " + weights());
    }
    byte[] out = new byte[Math.toIntExact(bytes())];
    for (int i = 0; i < kTiles(); i++) {
      for (int j = 0; j < cTiles(); j++) {
        Span ks = kSpan(i);
        Span cs = cSpan(j);
        int at = (int) tileOffset(i, j);
        int per = valuesPerChannel(cs.length());
        long offsetBit = 8L * (at + (long) ks.length() * per);
        for (int k = 0; k < ks.length(); k++) {
          NmWeights p = NmWeights.pack(localReduction(w, ks.start() + k, cs), 1, format);
          int[] values = p.values();
          int[] offsets = p.offsets();
          for (int v = 0; v < per; v++) {
            int e = entry(k, v, ks.length(), per);
            out[at + e] = (byte) values[v];
            writeBits(out, offsetBit + (long) e * offsetBits, offsets[v]);
          }
        }
      }
    }
    return out;
  }

  /** The model-order weights {@code region} holds: the inverse of {@link #pack}. */
  public int[] unpack(byte[] region) {
    if (region.length != bytes()) {
      throw new IllegalArgumentException("region of " + region.length + " B for " + bytes() + " B of N:M tiles");
    }
    int[] w = new int[Math.toIntExact(weights())];
    for (int i = 0; i < kTiles(); i++) {
      for (int j = 0; j < cTiles(); j++) {
        Span ks = kSpan(i);
        Span cs = cSpan(j);
        int at = (int) tileOffset(i, j);
        int per = valuesPerChannel(cs.length());
        long offsetBit = 8L * (at + (long) ks.length() * per);
        for (int k = 0; k < ks.length(); k++) {
          for (int v = 0; v < per; v++) {
            int e = entry(k, v, ks.length(), per);
            int value = region[at + e];
            int off = readBits(region, offsetBit + (long) e * offsetBits);
            int r = v / format.n() * format.m() + off;
            if (value == 0) {
              continue;
            }
            if (r >= taps() * cs.length()) {
              throw new IllegalArgumentException("value " + v + " of channel " + (ks.start() + k) + " at offset " + off
                  + " lies past its tile's reduction");
            }
            int tap = r / cs.length();
            w[((ks.start() + k) * taps() + tap) * shape.c() + cs.start() + r % cs.length()] = value;
          }
        }
      }
    }
    return w;
  }

  private void writeBits(byte[] out, long bit, int value) {
    for (int b = 0; b < offsetBits; b++) {
      if ((value >> b & 1) != 0) {
        long at = bit + b;
        out[(int) (at >>> 3)] |= (byte) (1 << (at & 7));
      }
    }
  }

  private int readBits(byte[] in, long bit) {
    int v = 0;
    for (int b = 0; b < offsetBits; b++) {
      long at = bit + b;
      v |= ((in[(int) (at >>> 3)] >> (at & 7)) & 1) << b;
    }
    return v;
  }
}
