package io.kiln.plan.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.ir.Encoding;
import io.kiln.ir.NmWeights;
import io.kiln.plan.tiling.ElementSizes;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;
import io.kiln.testing.SparseLayers;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The N:M weight tiles of a unit: seeded random layers in every format, tile sizes and offset
 * width; pack and unpack invert each other, the region and every tile's slice take the bytes
 * {@link ElementSizes#weightBytes} charges for N:M sizes, slices are contiguous and follow each
 * other, and a tile is its values then its offsets.
 */
class NmTilesTest {
  private static final Encoding.NM[] FORMATS = {new Encoding.NM(1, 4), new Encoding.NM(1, 8), new Encoding.NM(1, 16),
      new Encoding.NM(2, 8)};

  @Test
  void randomLayersPackUnpackAndSizeAsTheTilerCounts() {
    Random r = new Random(13);
    for (int i = 0; i < 300; i++) {
      Encoding.NM f = FORMATS[r.nextInt(FORMATS.length)];
      int k = 1 + r.nextInt(40);
      boolean multiple = r.nextBoolean();
      int c = multiple ? f.m() * (1 + r.nextInt(4)) : 1 + r.nextInt(40);
      int fy = 1 + r.nextInt(3);
      int fx = 1 + r.nextInt(3);
      LayerShape l = new LayerShape(k, c, fy, fx, 1, 1, fy, fx, 1, 1, 1, 1, 0, 0, false);
      int tileK = 1 + r.nextInt(k);
      int tileC = c % f.m() == 0 && r.nextBoolean() ? f.m() * (1 + r.nextInt(c / f.m())) : c;
      int bits = Math.max(Integer.numberOfTrailingZeros(f.m()), 1 + r.nextInt(8));
      NmTiles a = new NmTiles(l, f, tileK, tileC, bits, 1 + r.nextInt(20));
      int[] w = SparseLayers.weights(r, k, fy * fx * c, f);
      assertThat(NmWeights.follows(w, k, f)).isTrue();
      byte[] region = a.pack(w);
      assertThat(a.unpack(region)).as("case %d", i).isEqualTo(w);
      ElementSizes sizes = new ElementSizes(8, 8, 8, 1, 1, 0, 32, 0).withSparsity(f.n(), f.m(), bits);
      long end = 0;
      long total = 0;
      for (int k0 = 0; k0 < k; k0 += tileK) {
        for (int c0 = 0; c0 < c; c0 += tileC) {
          Span ks = new Span(k0, Math.min(tileK, k - k0));
          Span cs = new Span(c0, Math.min(tileC, c - c0));
          BlobSlice s = a.slice(ks, cs);
          assertThat(s.runs()).isEqualTo(1);
          assertThat(s.offset()).as("tiles follow each other").isEqualTo(end);
          assertThat(s.bytes()).isEqualTo(sizes.weightBytes(ks.length(), cs.length(), (long) fy * fx));
          int per = a.valuesPerChannel(cs.length());
          assertThat(s.bytes()).isEqualTo((long) ks.length() * per + ((long) ks.length() * per * bits + 7) / 8);
          end = s.offset() + s.bytes();
          total += s.bytes();
        }
      }
      assertThat(a.bytes()).isEqualTo(total).isEqualTo(end);
      assertThat(a.packedBytes()).isEqualTo(a.bytes());
    }
  }

  @Test
  void aTileIsItsValuesThenItsOffsets() {
    // One channel of 8 weights in 1:4: groups [0, 5, 0, 0] and [0, 0, 0, -3].
    LayerShape l = new LayerShape(1, 8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, false);
    NmTiles a = new NmTiles(l, new Encoding.NM(1, 4), 1, 8, 4, 16);
    assertThat(a.pack(new int[] {0, 5, 0, 0, 0, 0, 0, -3})).containsExactly(5, -3, 1 | 3 << 4);
  }

  @Test
  void aReductionStepsValuesLieTogetherPerBlockOfColumns() {
    // Three channels of 8 weights in 1:4: channel k keeps k+1 at offset k of its first group and
    // -(k+1) at offset 3 of its second; blocks of 2 channels.
    LayerShape l = new LayerShape(3, 8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, false);
    int[] w = new int[24];
    for (int k = 0; k < 3; k++) {
      w[k * 8 + k] = k + 1;
      w[k * 8 + 7] = -(k + 1);
    }
    NmTiles a = new NmTiles(l, new Encoding.NM(1, 4), 3, 8, 4, 2);
    // Block {0, 1}: value 0 of channels 0, 1, then value 1 of channels 0, 1; block {2}: its two.
    // Offsets in the same order, two to a byte.
    assertThat(a.pack(w)).containsExactly(1, 2, -1, -2, 3, -3, 0 | 1 << 4, 3 | 3 << 4, 2 | 3 << 4);
    assertThat(a.unpack(a.pack(w))).isEqualTo(w);
  }

  @Test
  void tilesThatCutGroupsAndBadOffsetsAreRefused() {
    LayerShape l = new LayerShape(4, 10, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, 0, 0, false);
    assertThatThrownBy(() -> new NmTiles(l, new Encoding.NM(1, 4), 4, 8, 4, 1)).hasMessageContaining("cuts");
    assertThatThrownBy(() -> new NmTiles(l, new Encoding.NM(1, 16), 4, 10, 3, 1)).hasMessageContaining("offsets");
    NmTiles a = new NmTiles(l, new Encoding.NM(1, 4), 2, 10, 4, 16);
    assertThatThrownBy(() -> a.slice(new Span(1, 2), new Span(0, 10))).hasMessageContaining("not one of");
    int[] dense = new int[4 * 90];
    dense[0] = 1;
    dense[1] = 1;
    assertThatThrownBy(() -> a.pack(dense)).hasMessageContaining("more than 1");
  }
}
