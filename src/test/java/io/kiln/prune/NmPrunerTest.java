package io.kiln.prune;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Encoding;
import io.kiln.ir.NmWeights;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NmPrunerTest {
  @Test
  void keepsTheLargestMagnitudeOfEveryGroupEarliestOnTies() {
    int[] w = {3, -7, 7, 1, /* short group */ 0, -2};
    assertThat(NmPruner.prune(w, 1, new Encoding.NM(1, 4))).containsExactly(0, -7, 0, 0, 0, -2);
    assertThat(NmPruner.prune(w, 1, new Encoding.NM(2, 4))).containsExactly(0, -7, 7, 0, 0, -2);
    float[] f = {0.5f, -0.25f, 0f, 0f, 0f, 0f, 0f, 0.125f};
    assertThat(NmPruner.prune(f, 1, new Encoding.NM(1, 8)))
        .containsExactly(0.5f, 0f, 0f, 0f, 0f, 0f, 0f, 0f);
  }

  @Test
  void prunedWeightsFollowTheFormatAndKeepEachChannelsMaximum() {
    SplittableRandom rng = new SplittableRandom(77);
    for (Encoding.NM f : NmWeights.FORMATS) {
      int rows = 8;
      int length = 3 * 3 * (1 + rng.nextInt(20));
      int[] w = new int[rows * length];
      for (int i = 0; i < w.length; i++) {
        w[i] = rng.nextInt(255) - 127;
      }
      int[] p = NmPruner.prune(w, rows, f);
      assertThat(NmWeights.follows(p, rows, f)).isTrue();
      for (int r = 0; r < rows; r++) {
        int before = 0;
        int after = 0;
        for (int i = r * length; i < (r + 1) * length; i++) {
          before = Math.max(before, Math.abs(w[i]));
          after = Math.max(after, Math.abs(p[i]));
        }
        assertThat(after).isEqualTo(before);
      }
    }
  }
}
