package io.kiln.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * TFLite's 8-bit HardSwish arithmetic: the int16 helpers at their rounding and saturation
 * boundaries, and the whole kernel on every int8 input against real hard-swish (the reference
 * kernel is accurate to one step of the output scale), for left- and right-shifting relu-ish
 * multipliers.
 */
class HardSwishRequantTest {
  @Test
  void int16HelpersRoundAndSaturateLikeTheReference() {
    // 0.5 * 0.5 = 0.25 in Q0.15. The nudge then truncation round a tie of +0.5 up and one of
    // -0.5 toward zero (gemmlowp's formula), so both ties below land on the upper neighbour.
    assertThat(HardSwishRequant.srdhm16((short) 16384, (short) 16384)).isEqualTo((short) 8192);
    assertThat(HardSwishRequant.srdhm16((short) -1, (short) 16384)).isEqualTo((short) 0);
    assertThat(HardSwishRequant.srdhm16((short) -3, (short) 16384)).isEqualTo((short) -1);
    assertThat(HardSwishRequant.srdhm16((short) 1, (short) 16384)).isEqualTo((short) 1);
    assertThat(HardSwishRequant.srdhm16(Short.MIN_VALUE, Short.MIN_VALUE))
        .isEqualTo(Short.MAX_VALUE);
    // The truncating variant drops the half.
    assertThat(HardSwishRequant.sdhm16((short) 1, (short) 16384)).isEqualTo((short) 0);
    assertThat(HardSwishRequant.sdhm16((short) -3, (short) 16384)).isEqualTo((short) -1);
    assertThat(HardSwishRequant.roundingDivideByPot16((short) 5, 1)).isEqualTo((short) 3);
    assertThat(HardSwishRequant.roundingDivideByPot16((short) -5, 1)).isEqualTo((short) -3);
    assertThat(HardSwishRequant.roundingDivideByPot16((short) -4, 1)).isEqualTo((short) -2);
    assertThat(HardSwishRequant.roundingDivideByPot16((short) 7, 0)).isEqualTo((short) 7);
    assertThat(HardSwishRequant.saturatingLeftShift16((short) 20000, 1))
        .isEqualTo(Short.MAX_VALUE);
    assertThat(HardSwishRequant.saturatingLeftShift16((short) -20000, 2))
        .isEqualTo(Short.MIN_VALUE);
    assertThat(HardSwishRequant.downscaleToInt16(Integer.MAX_VALUE)).isEqualTo(Short.MAX_VALUE);
    assertThat(HardSwishRequant.downscaleToInt16(1 << 30)).isEqualTo((short) 16384);
    assertThat(HardSwishRequant.downscaleToInt16((1 << 30) + (1 << 15))).isEqualTo((short) 16385);
  }

  @ParameterizedTest
  @CsvSource({"0.05, 7, 0.03, -20", "0.002, -5, 0.001, 3", "0.1, -128, 0.05, -128",
      "0.0235, 0, 0.0235, 0"})
  void everyInt8InputIsWithinOneStepOfRealHardSwish(float si, int zi, float so, int zo) {
    HardSwishRequant p = HardSwishRequant.of(si, zi, so, zo, -128, 127, "test");
    assertThat(p.apply(zi)).as("zero maps to the output zero point").isEqualTo(zo);
    for (int x = -128; x <= 127; x++) {
      double real = si * (x - zi);
      double hs = real * Math.min(6, Math.max(0, real + 3)) / 6;
      long ideal = Math.max(-128, Math.min(127, Math.round(hs / so) + zo));
      assertThat((long) p.apply(x)).as("x=%d (real %.4f)", x, real)
          .isBetween(ideal - 1, ideal + 1);
    }
  }

  @Test
  void exponentsOnBothSidesAreExercised() {
    assertThat(HardSwishRequant.of(0.05f, 0, 0.03f, 0, -128, 127, "t").reluishExponent())
        .isPositive();
    assertThat(HardSwishRequant.of(0.002f, 0, 0.001f, 0, -128, 127, "t").reluishExponent())
        .isNegative();
  }

  @Test
  void anOutputScaleTooSmallIsRefused() {
    assertThatThrownBy(() -> HardSwishRequant.of(1f, 0, 0.001f, 0, -128, 127, "HardSwish 'y'"))
        .isInstanceOf(KilnException.class).hasMessageContaining("HardSwish 'y'");
  }
}
