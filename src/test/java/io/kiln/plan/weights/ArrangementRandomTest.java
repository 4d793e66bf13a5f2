package io.kiln.plan.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.plan.tiling.ElementSizes;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;
import io.kiln.target.LoopDim;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random layer shapes through every arrangement: positions are a bijection onto the
 * region minus its padding, the padding packs as zero, unpack inverts pack, the region and each
 * tile's slice have the bytes {@link ElementSizes#weightBytes} charges, and a tile's slice holds
 * its weights and nobody else's.
 */
class ArrangementRandomTest {

  /** A layer whose loop nest is just its filter (the arrangement never looks at the image). */
  static LayerShape shape(Random r, boolean depthwise) {
    int k = 1 + r.nextInt(40);
    int c = depthwise ? k : 1 + r.nextInt(40);
    int fy = 1 + r.nextInt(4);
    int fx = 1 + r.nextInt(4);
    return new LayerShape(k, c, fy, fx, 1, 1, fy, fx, 1, 1, 1, 1, 0, 0, depthwise);
  }

  /** One arrangement of a random shape, and the tiles its slices are asked for. */
  record Case(Arrangement a, ElementSizes sizes, List<Span> kTiles, List<Span> cTiles) {}

  static Case randomCase(Random r) {
    int kind = r.nextInt(4);
    LayerShape l = shape(r, kind != 2 && r.nextInt(4) == 0);
    ElementSizes base = new ElementSizes(8, 8, 8, 1, 1, 0, 32, 0);
    return switch (kind) {
      case 0 -> new Case(new Arrangement.ModelOrder(l), base, tiles(l.k(), 1 + r.nextInt(l.k())),
          tiles(l.c(), 1 + r.nextInt(l.c())));
      case 1 -> {
        int kb = 1 + r.nextInt(20);
        int cb = l.depthwise() ? 1 : 1 + r.nextInt(20);
        // Tiles are whole blocks or the whole dimension (the tiler's constraint).
        int tk = r.nextBoolean() ? l.k() : kb * (1 + r.nextInt(3));
        int tc = r.nextBoolean() ? l.c() : cb * (1 + r.nextInt(3));
        yield new Case(new Arrangement.ArrayBlocks(l, kb, cb), base.withBlocks(kb, cb), tiles(l.k(), tk),
            tiles(l.c(), tc));
      }
      case 3 -> {
        // Any tile sizes: the tiles are stored as they are, the last of each dimension narrower.
        int tk = 1 + r.nextInt(l.k());
        int tc = l.depthwise() ? 1 : 1 + r.nextInt(l.c());
        yield new Case(new Arrangement.ArrayTiles(l, tk, tc), base, tiles(l.k(), tk), tiles(l.c(), tc));
      }
      default -> {
        int bits = List.of(1, 2, 4, 8).get(r.nextInt(4));
        int tileK = 1 + r.nextInt(l.k());
        List<LoopDim> rows = new ArrayList<>(List.of(LoopDim.C, LoopDim.FY, LoopDim.FX));
        Collections.shuffle(rows, r);
        yield new Case(new Arrangement.Crossbar(l, tileK, bits, rows), base.withWeightBits(bits).withBlocks(8 / bits,
            1), tiles(l.k(), tileK), tiles(l.c(), 1 + r.nextInt(l.c())));
      }
    };
  }

  static List<Span> tiles(int full, int tile) {
    List<Span> out = new ArrayList<>();
    for (int s = 0; s < full; s += tile) {
      out.add(new Span(s, Math.min(tile, full - s)));
    }
    return out;
  }

  @Test
  void everyArrangementIsABijectionWhosePaddingIsZeroAndWhoseTilesAreWhatTheTilerCharges() {
    Random r = new Random(20250611L);
    for (int i = 0; i < 1000; i++) {
      Case t = randomCase(r);
      Arrangement a = t.a();
      LayerShape l = a.shape();
      String what = "case " + i + ": " + a;
      long taps = (long) l.fy() * l.fx();
      int cs = l.depthwise() ? 1 : l.c();

      // Distinct cells inside the region.
      BitSet cells = new BitSet();
      int[] count = {0};
      BlobLayout.forEachWeight(l, (k, c, fy, fx) -> {
        long at = a.bitOffset(k, c, fy, fx);
        if (at % a.bits() != 0 || at + a.bits() > 8 * a.bytes() || cells.get((int) at)) {
          throw new AssertionError(what + ": weight " + k + "," + c + "," + fy + "," + fx + " at bit " + at
              + " is misaligned, outside the region or on another weight");
        }
        cells.set((int) at, (int) at + a.bits());
        count[0]++;
      });
      assertThat((long) count[0]).isEqualTo(a.weights());

      // The region has the bytes of its K tiles as the tiler charges them.
      long charged = 0;
      for (Span k : t.kTiles()) {
        charged += t.sizes().weightBytes(k.length(), cs, taps);
      }
      if (!(a instanceof Arrangement.Crossbar)) {
        charged = t.sizes().weightBytes(l.k(), cs, taps);
      }
      assertThat(a.bytes()).as(what).isEqualTo(charged);

      // Pack random non-zero values (zero where the cell has one bit): padding stays zero.
      int[] w = new int[count[0]];
      int min = a.bits() == 1 ? -1 : -(1 << (a.bits() - 1));
      int max = a.bits() == 1 ? 0 : (1 << (a.bits() - 1)) - 1;
      for (int j = 0; j < w.length; j++) {
        do {
          w[j] = min + r.nextInt(max - min + 1);
        } while (w[j] == 0 && a.bits() > 1);
      }
      BlobLayout blob = new BlobLayout(a, new ChannelParams.Format(false, ChannelParams.Scheme.NONE));
      byte[] packed = blob.pack(new LayerConstants(w, new ChannelParams(blob.params(), new int[0], new int[0],
          new int[0])));
      BitSet set = BitSet.valueOf(packed);
      set.andNot(cells);
      assertThat(set.isEmpty()).as(what + ": padding bits set " + set).isTrue();
      assertThat(blob.unpack(packed).weights()).as(what).isEqualTo(w);

      // Each tile's slice: the tiler's bytes, each of its weights, no other tile's.
      List<Span> cTiles = l.depthwise() ? List.of(new Span(0, l.c())) : t.cTiles();
      // A few tiles per case (the first, the last and one between) keep the test fast.
      for (int pick = 0; pick < 3; pick++) {
        Span k = t.kTiles().get(pick == 0 ? 0 : pick == 1 ? t.kTiles().size() - 1 : r.nextInt(t.kTiles().size()));
        Span c = cTiles.get(pick == 0 ? 0 : pick == 1 ? cTiles.size() - 1 : r.nextInt(cTiles.size()));
        {
          BlobSlice s = a.slice(k, c);
          assertThat(s.bytes()).as(what + " K" + k + " C" + c)
              .isEqualTo(t.sizes().weightBytes(k.length(), l.depthwise() ? 1 : c.length(), taps));
          assertThat(s.end()).isLessThanOrEqualTo(a.bytes());
          List<String> wrong = new ArrayList<>();
          BlobLayout.forEachWeight(l, (kk, cc, fy, fx) -> {
            boolean mine = kk >= k.start() && kk < k.end() && (l.depthwise() || (cc >= c.start() && cc < c.end()));
            if (s.covers(a.bitOffset(kk, cc, fy, fx) / 8) != mine && wrong.isEmpty()) {
              wrong.add("weight " + kk + "," + cc + "," + fy + "," + fx + (mine ? " missed" : " read"));
            }
          });
          assertThat(wrong).as(what + " K" + k + " C" + c + ": " + s).isEmpty();
        }
      }
    }
  }

  @Test
  void slicesOfTilesOffTheLayoutsGridAreRefused() {
    LayerShape l = new LayerShape(32, 8, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 0, 0, false);
    Arrangement.ArrayBlocks blocks = new Arrangement.ArrayBlocks(l, 16, 1);
    assertThatThrownBy(() -> blocks.slice(new Span(8, 16), new Span(0, 8)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not start on a block of 16");
    Arrangement.Crossbar xbar = new Arrangement.Crossbar(l, 16, 2, List.of(LoopDim.C, LoopDim.FY, LoopDim.FX));
    assertThatThrownBy(() -> xbar.slice(new Span(0, 8), new Span(0, 8)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not one of the 16-channel crossbar tiles");
    Arrangement.ArrayTiles tiles = new Arrangement.ArrayTiles(l, 12, 8);
    assertThatThrownBy(() -> tiles.slice(new Span(0, 24), new Span(0, 8)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not one of the 12 x 8 weight tiles");
    // The last K tile is the 8 channels left, not a whole 12.
    assertThat(tiles.slice(new Span(24, 8), new Span(0, 8))).isEqualTo(BlobSlice.contiguous(24 * 72, 8 * 72));
  }

  @Test
  void arrayTilesStoreEachTileUnpaddedRowsTheReductionColumnsTheChannels() {
    // K 5 in tiles of 3 (3 + 2), C 3 in tiles of 2 (2 + 1), 1x2 taps: 30 bytes, no padding.
    LayerShape l = new LayerShape(5, 3, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 0, 0, false);
    Arrangement.ArrayTiles a = new Arrangement.ArrayTiles(l, 3, 2);
    assertThat(a.bytes()).isEqualTo(30);
    assertThat(new BlobLayout(a, new ChannelParams.Format(false, ChannelParams.Scheme.NONE)).paddingBytes()).isZero();
    // Tile (K 0-2, C 0-1): [fx][c][k], 12 bytes; then (K 0-2, C 2): 6 bytes; then K 3-4.
    assertThat(a.bitOffset(1, 0, 0, 0) / 8).isEqualTo(1);
    assertThat(a.bitOffset(0, 1, 0, 0) / 8).isEqualTo(3);
    assertThat(a.bitOffset(0, 0, 0, 1) / 8).isEqualTo(6);
    assertThat(a.bitOffset(0, 2, 0, 1) / 8).isEqualTo(12 + 3);
    assertThat(a.bitOffset(4, 1, 0, 1) / 8).isEqualTo(18 + (1 * 2 + 1) * 2 + 1);
    assertThat(a.slice(new Span(3, 2), new Span(2, 1))).isEqualTo(BlobSlice.contiguous(18 + 8, 4));
    assertThat(a.describe()).isEqualTo("array_tiles K3 C2");
  }

  @Test
  void impossibleArrangementsAreRefused() {
    LayerShape dw = new LayerShape(8, 8, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 0, 0, true);
    List<LoopDim> rows = List.of(LoopDim.C, LoopDim.FY, LoopDim.FX);
    assertThatThrownBy(() -> new Arrangement.Crossbar(dw, 8, 2, rows)).hasMessageContaining("depthwise");
    LayerShape conv = new LayerShape(8, 8, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 0, 0, false);
    assertThatThrownBy(() -> new Arrangement.Crossbar(conv, 8, 3, rows)).hasMessageContaining("3 bits");
    assertThatThrownBy(() -> new Arrangement.Crossbar(conv, 8, 2, List.of(LoopDim.C, LoopDim.FY)))
        .hasMessageContaining("C, FY and FX");
    assertThatThrownBy(() -> new Arrangement.ArrayBlocks(dw, 8, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Arrangement.ArrayTiles(dw, 8, 4)).hasMessageContaining("weight tiles of K 8 x C 4");
    assertThatThrownBy(() -> new Arrangement.ArrayTiles(conv, 9, 8)).hasMessageContaining("weight tiles of K 9");
  }

  @Test
  void ternaryCellsUseTheDocumentedTwoBitCodes() {
    // One output channel, four input channels: one crossbar row each, one cell per row.
    LayerShape l = new LayerShape(1, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, false);
    BlobLayout blob = new BlobLayout(new Arrangement.Crossbar(l, 1, 2, List.of(LoopDim.C, LoopDim.FY, LoopDim.FX)),
        new ChannelParams.Format(false, ChannelParams.Scheme.NONE));
    byte[] packed = blob.pack(new LayerConstants(new int[] {0, 1, -1, 1},
        new ChannelParams(blob.params(), new int[0], new int[0], new int[0])));
    // Rows are padded to whole bytes: 00 = 0, 01 = +1, 11 = -1 in the low bits of each.
    assertThat(packed).containsExactly(0b00, 0b01, 0b11, 0b01);
    assertThatThrownBy(() -> blob.pack(new LayerConstants(new int[] {0, 2, 0, 0},
        new ChannelParams(blob.params(), new int[0], new int[0], new int[0]))))
        .hasMessageContaining("weight 2 does not fit 2-bit cells");
    assertThatThrownBy(() -> blob.unpack(new byte[3])).hasMessageContaining("blob of 3 B for a layout of 4 B");
  }

  @Test
  void slicesMergeTouchingRunsAndKnowWhatTheyCover() {
    assertThat(BlobSlice.of(10, 4, 4, 3)).isEqualTo(BlobSlice.contiguous(10, 12));
    BlobSlice s = BlobSlice.of(10, 2, 5, 3);
    assertThat(s.bytes()).isEqualTo(6);
    assertThat(s.end()).isEqualTo(22);
    assertThat(List.of(9, 10, 11, 12, 15, 16, 17, 20, 21, 22).stream().map(s::covers).toList())
        .containsExactly(false, true, true, false, true, true, false, true, true, false);
    assertThatThrownBy(() -> new BlobSlice(0, 4, 2, 2)).isInstanceOf(IllegalArgumentException.class);
  }
}
