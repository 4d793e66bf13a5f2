package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A tile's weight bytes with blocked layouts: whole blocks, whole bytes. */
class ElementSizesBlocksTest {

  @Test
  void unblockedWeightsAreChannelsTimesReduction() {
    ElementSizes s = ElementSizes.int8();
    assertThat(s.weightBytes(10, 64, 9)).isEqualTo(10L * 64 * 9);
    assertThat(s.withWeightBits(2).weightBytes(5, 3, 1)).isEqualTo(4); // 30 bits
  }

  @Test
  void blocksRoundChannelsUpToWholeBlocks() {
    ElementSizes digitalFc = ElementSizes.int8().withBlocks(16, 16);
    assertThat(digitalFc.weightBytes(10, 64, 1)).isEqualTo(16L * 64);
    assertThat(digitalFc.weightBytes(16, 8, 1)).isEqualTo(16L * 16);
    assertThat(digitalFc.weightBytes(32, 64, 1)).isEqualTo(32L * 64);
    // Ternary crossbar rows of a K tile are padded to bytes: channels to multiples of 4.
    ElementSizes crossbar = ElementSizes.int8().withWeightBits(2).withBlocks(4, 1);
    assertThat(crossbar.weightBytes(5, 3, 9)).isEqualTo(27L * 2);
    assertThat(crossbar.weightBytes(4, 3, 9)).isEqualTo(27L);
  }

  @Test
  void blocksMustBePositiveAndDense() {
    assertThatThrownBy(() -> ElementSizes.int8().withBlocks(0, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1");
    assertThatThrownBy(() -> ElementSizes.int8().withSparsity(2, 4, 2).withBlocks(16, 1))
        .hasMessageContaining("dense weights only");
  }
}
