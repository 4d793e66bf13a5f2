package io.kiln.quant;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** TFLM's quantized PRelu arithmetic on hand-computed cases and a seeded sweep. */
class PreluRequantTest {
  @Test
  void handComputedCases() {
    // in 0.5, alpha 0.25, out 0.5, no zero points: multipliers 1 and 0.25.
    PreluRequant p = PreluRequant.of(0.5f, 0, 0.25f, 0, 0.5f, 0, -128, 127);
    assertThat(p.apply(4, 2)).isEqualTo(4);
    assertThat(p.apply(-4, 2)).isEqualTo(-2); // -2.0 * 0.5 = -1.0 = -2 steps of 0.5
    assertThat(p.apply(-3, 1)).isEqualTo(-1); // -0.75 rounds away from zero
    assertThat(p.apply(-2, 1)).isEqualTo(-1); // -0.5 as well
    assertThat(p.apply(-127, -128)).isEqualTo(127); // a negative alpha flips and saturates
    // Zero points: the offsets apply before the products and the output's after.
    PreluRequant z = PreluRequant.of(0.5f, 10, 0.25f, -4, 0.5f, -20, -128, 127);
    assertThat(z.apply(10, 0)).isEqualTo(-20);
    assertThat(z.apply(6, -2)).isEqualTo(-20 + -2); // (6-10)*(-2+4) = -8, x 0.25
  }

  @Test
  void sweepStaysWithinOneStepOfRealPrelu() {
    PreluRequant p = PreluRequant.of(0.05f, 3, 0.01f, -7, 0.04f, 5, -128, 127);
    for (int x = -128; x <= 127; x++) {
      for (int a = -128; a <= 127; a += 17) {
        double real = 0.05 * (x - 3);
        double alpha = 0.01 * (a + 7);
        double y = real >= 0 ? real : real * alpha;
        long ideal = Math.max(-128, Math.min(127, Math.round(y / 0.04) + 5));
        assertThat((long) p.apply(x, a)).as("x=%d a=%d", x, a).isBetween(ideal - 1, ideal + 1);
      }
    }
  }
}
