package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.ShapeInference;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** SAME/VALID resolution against TFLite's padding.h arithmetic. */
class TflitePaddingTest {
  private static final byte SAME = TflitePadding.SAME;
  private static final byte VALID = TflitePadding.VALID;

  @Test
  void sameWithOddTotalPutsTheExtraElementAfter() {
    // in 49, filter 10, stride 2: out 25, total 9.
    assertThat(TflitePadding.forWindow(SAME, 2, 2, 1, 1, 49, 10, 10, 4))
        .isEqualTo(new Pads(4, 1, 5, 1));
  }

  @Test
  void sameStride1KeepsTheSize() {
    assertThat(TflitePadding.forWindow(SAME, 1, 1, 1, 1, 25, 5, 3, 3))
        .isEqualTo(new Pads(1, 1, 1, 1));
    assertThat(TflitePadding.forWindow(SAME, 1, 1, 1, 1, 8, 8, 4, 4))
        .isEqualTo(new Pads(1, 1, 2, 2));
  }

  @Test
  void sameWithDilationUsesTheEffectiveFilter() {
    // filter 3 dilated by 2 spans 5: total 4.
    assertThat(TflitePadding.forWindow(SAME, 1, 1, 2, 2, 10, 10, 3, 3))
        .isEqualTo(new Pads(2, 2, 2, 2));
  }

  @Test
  void sameNeverPadsNegatively() {
    // in 7, filter 1, stride 3: out 3, (3-1)*3 + 1 - 7 = 0.
    assertThat(TflitePadding.forWindow(SAME, 3, 3, 1, 1, 7, 8, 1, 1)).isEqualTo(Pads.NONE);
  }

  @Test
  void validNeverPads() {
    assertThat(TflitePadding.forWindow(VALID, 2, 3, 1, 1, 49, 10, 10, 4)).isEqualTo(Pads.NONE);
    assertThat(TflitePadding.outSize(VALID, 49, 10, 2, 1)).isEqualTo(20);
  }

  @Test
  void transposeConvSwapsInputAndOutput() {
    // Output 8 rows from a 3-tap filter at stride 2, SAME: the forward conv maps 8 -> 4,
    // total = (4-1)*2 + 3 - 8 = 1 -> 0 before, 1 after; full extent (4-1)*2+3 = 9 = 8 + 1.
    assertThat(TflitePadding.forTransposeConv(SAME, 2, 2, 8, 8, 3, 3))
        .isEqualTo(new Pads(0, 0, 1, 1));
  }

  @Test
  void resolvedPaddingReproducesTheSameOutputSize() {
    SplittableRandom rnd = new SplittableRandom(11);
    for (int i = 0; i < 2000; i++) {
      int in = rnd.nextInt(1, 200);
      int filter = rnd.nextInt(1, 12);
      int stride = rnd.nextInt(1, 5);
      int dilation = rnd.nextInt(1, 4);
      byte padding = rnd.nextBoolean() ? SAME : VALID;
      long effective = (long) (filter - 1) * dilation + 1;
      if (padding == VALID && effective > in) {
        continue;
      }
      Pads p = TflitePadding.forWindow(padding, stride, 1, dilation, 1, in, 1, filter, 1);
      int expected = TflitePadding.outSize(padding, in, filter, stride, dilation);
      assertThat(ShapeInference.window(null, in, filter, stride, dilation, p.top(), p.bottom()))
          .as("in %d filter %d stride %d dilation %d %s", in, filter, stride, dilation,
              padding == SAME ? "SAME" : "VALID")
          .isEqualTo(expected);
      assertThat(p.bottom() - p.top()).isBetween(0, 1);
    }
  }

  @Test
  void invalidWindowsAreKilnExceptions() {
    assertThatThrownBy(() -> TflitePadding.forWindow(SAME, 0, 1, 1, 1, 5, 5, 3, 3))
        .isInstanceOf(KilnException.class).hasMessageContaining("stride 0");
    assertThatThrownBy(() -> TflitePadding.forWindow(SAME, 1, 1, 1, 1, 5, 5, 0, 3))
        .isInstanceOf(KilnException.class).hasMessageContaining("filter 0");
    assertThatThrownBy(() -> TflitePadding.forWindow((byte) 7, 1, 1, 1, 1, 5, 5, 3, 3))
        .isInstanceOf(KilnException.class).hasMessageContaining("unknown padding type 7");
  }
}
