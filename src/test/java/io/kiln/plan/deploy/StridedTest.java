package io.kiln.plan.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Exact byte overlap of strided transfers, against marking every byte, on seeded random shapes. */
class StridedTest {
  private static Strided random(Random r) {
    long run = 1 + r.nextInt(6);
    long rows = 1 + r.nextInt(5);
    long rowStride = run + r.nextInt(6);
    long planes = 1 + r.nextInt(4);
    long planeStride = rows * rowStride + r.nextInt(8);
    return new Strided("m", r.nextInt(40), run, rows, rowStride, planes, planeStride);
  }

  private static BitSet bytes(Strided s) {
    BitSet b = new BitSet();
    for (long p = 0; p < s.planes(); p++) {
      for (long q = 0; q < s.rows(); q++) {
        long a = s.base() + p * s.planeStride() + q * s.rowStride();
        b.set((int) a, (int) (a + s.run()));
      }
    }
    return b;
  }

  @Test
  void intersectionIsExactOnRandomPatterns() {
    Random r = new Random(20261202);
    int hits = 0;
    for (int i = 0; i < 20000; i++) {
      Strided a = random(r);
      Strided b = random(r);
      boolean want = bytes(a).intersects(bytes(b));
      assertThat(a.intersects(b)).as("%s vs %s", a, b).isEqualTo(want);
      assertThat(b.intersects(a)).isEqualTo(want);
      Region reg = new Region("m", r.nextInt(60), 1 + r.nextInt(10));
      BitSet rb = new BitSet();
      rb.set((int) reg.offset(), (int) reg.end());
      assertThat(a.intersects(reg)).as("%s vs %s", a, reg).isEqualTo(bytes(a).intersects(rb));
      hits += want ? 1 : 0;
    }
    // Both outcomes occur often enough for the comparison to mean something.
    assertThat(hits).isBetween(2000, 18000);
  }

  @Test
  void interleavedChannelsDoNotIntersect() {
    // Two channels of an NHWC tensor with 8 channels, 4x4 pixels: same bounds, no common byte.
    Strided c0 = new Strided("l2", 0, 1, 16, 8, 1, 128);
    Strided c1 = new Strided("l2", 1, 1, 16, 8, 1, 128);
    assertThat(c0.bounds().overlaps(c1.bounds())).isTrue();
    assertThat(c0.intersects(c1)).isFalse();
    assertThat(new Strided("other", 0, 1, 16, 8, 1, 128).intersects(c0)).isFalse();
  }
}
