package io.kiln.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Requant;
import io.kiln.ir.Requant.Rounding;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The shift-only output stage's arithmetic at its boundaries, and its preparation. */
class ShiftStageTest {

  @Test
  void shiftZeroIsTheIdentityForBothRoundings() {
    for (Rounding r : Rounding.values()) {
      for (long v : new long[] {0, 1, -1, 127, -128, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
        assertThat(ShiftStage.shift(v, 0, r)).isEqualTo(v);
      }
    }
  }

  @Test
  void floorRoundsTiesAndNegativesTowardsMinusInfinity() {
    // 5 / 2 = 2.5, -5 / 2 = -2.5, 3 / 2 = 1.5, -3 / 2 = -1.5, -1 / 2 = -0.5
    assertThat(ShiftStage.shift(5, 1, Rounding.FLOOR)).isEqualTo(2);
    assertThat(ShiftStage.shift(-5, 1, Rounding.FLOOR)).isEqualTo(-3);
    assertThat(ShiftStage.shift(3, 1, Rounding.FLOOR)).isEqualTo(1);
    assertThat(ShiftStage.shift(-3, 1, Rounding.FLOOR)).isEqualTo(-2);
    assertThat(ShiftStage.shift(-1, 1, Rounding.FLOOR)).isEqualTo(-1);
    assertThat(ShiftStage.shift(7, 2, Rounding.FLOOR)).isEqualTo(1); // 1.75
  }

  @Test
  void halfUpRoundsTiesTowardsPlusInfinity() {
    assertThat(ShiftStage.shift(5, 1, Rounding.HALF_UP)).isEqualTo(3);
    assertThat(ShiftStage.shift(-5, 1, Rounding.HALF_UP)).isEqualTo(-2);
    assertThat(ShiftStage.shift(3, 1, Rounding.HALF_UP)).isEqualTo(2);
    assertThat(ShiftStage.shift(-3, 1, Rounding.HALF_UP)).isEqualTo(-1);
    assertThat(ShiftStage.shift(-1, 1, Rounding.HALF_UP)).isEqualTo(0);
    // Just below and above a tie: 1.25 -> 1, 1.75 -> 2, -1.25 -> -1, -1.75 -> -2.
    assertThat(ShiftStage.shift(5, 2, Rounding.HALF_UP)).isEqualTo(1);
    assertThat(ShiftStage.shift(7, 2, Rounding.HALF_UP)).isEqualTo(2);
    assertThat(ShiftStage.shift(-5, 2, Rounding.HALF_UP)).isEqualTo(-1);
    assertThat(ShiftStage.shift(-7, 2, Rounding.HALF_UP)).isEqualTo(-2);
  }

  @Test
  void shiftThirtyOneAtTheInt32Limits() {
    long max = Integer.MAX_VALUE;
    long min = Integer.MIN_VALUE;
    assertThat(ShiftStage.shift(max, 31, Rounding.FLOOR)).isZero();
    assertThat(ShiftStage.shift(max, 31, Rounding.HALF_UP)).isEqualTo(1); // 0.99999...
    assertThat(ShiftStage.shift(min, 31, Rounding.FLOOR)).isEqualTo(-1);
    assertThat(ShiftStage.shift(min, 31, Rounding.HALF_UP)).isEqualTo(-1); // exactly -1
    assertThat(ShiftStage.shift(1L << 30, 31, Rounding.HALF_UP)).isEqualTo(1); // 0.5 tie
    assertThat(ShiftStage.shift(-(1L << 30), 31, Rounding.HALF_UP)).isZero(); // -0.5 tie
    assertThat(ShiftStage.shift((1L << 30) - 1, 31, Rounding.HALF_UP)).isZero();
  }

  @Test
  void negativeShiftsShiftLeft() {
    assertThat(ShiftStage.shift(-3, -2, Rounding.FLOOR)).isEqualTo(-12);
    assertThat(ShiftStage.shift(5, -31, Rounding.HALF_UP)).isEqualTo(5L << 31);
  }

  @Test
  void seededShiftsAgreeWithExactDivision() {
    SplittableRandom rng = new SplittableRandom(9);
    for (int i = 0; i < 20_000; i++) {
      long v = rng.nextInt();
      int s = 1 + rng.nextInt(31);
      double q = v / Math.scalb(1.0, s);
      assertThat(ShiftStage.shift(v, s, Rounding.FLOOR)).isEqualTo((long) Math.floor(q));
      assertThat(ShiftStage.shift(v, s, Rounding.HALF_UP)).isEqualTo((long) Math.floor(q + 0.5));
    }
  }

  private static TensorType act(double scale, long zp) {
    return TensorType.quantized(DType.INT8, Shape.of(1, 4), scale, zp);
  }

  @Test
  void applyAddsBiasShiftsAddsZeroPointAndSaturatesAtInt8() {
    Requant.Shift s = new Requant.Shift(Rounding.HALF_UP, List.of(2, 0), -128, 127);
    ShiftStage st = ShiftStage.prepare(s, act(0.5, 0), act(1, -3), new int[] {1, -2},
        new long[] {5, 5}, "t");
    assertThat(st.apply(5, 0)).isEqualTo((5 + 1 + 2) / 4 - 3); // (6 + 2) >> 2 = 2, -3
    assertThat(st.apply(10_000, 0)).isEqualTo(127);
    assertThat(st.apply(-10_000, 0)).isEqualTo(-128);
    assertThat(st.apply(130, 1)).isEqualTo(125);
    assertThat(st.apply(131 + 2, 1)).isEqualTo(127);
    assertThat(st.apply(132 + 2, 1)).isEqualTo(127);
    assertThat(st.apply(-123, 1)).isEqualTo(-128);
    assertThat(st.apply(-122, 1)).isEqualTo(-127);
  }

  @Test
  void clampOfTheStageIsItsActivationAndOutputRange() {
    Requant.Shift relu6Bit = new Requant.Shift(Rounding.FLOOR, List.of(0), 8, 0, -32, 31);
    ShiftStage st = ShiftStage.prepare(relu6Bit, act(1, 0), act(1, -32), null, new long[] {0},
        "t");
    assertThat(st.apply(100, 0)).isEqualTo(31);
    assertThat(st.apply(-100, 0)).isEqualTo(-32);
    assertThat(st.apply(40, 0)).isEqualTo(8);
  }

  @Test
  void zeroPointFoldsIntoTheBias() {
    // b - zp * sum(w): 100 - (-128) * 7 = 996.
    Requant.Shift s = new Requant.Shift(Rounding.FLOOR, List.of(0), -128, 127);
    ShiftStage st = ShiftStage.prepare(s, act(1, -128), act(1, 0), new int[] {100},
        new long[] {7}, "t");
    assertThat(st.bias(0)).isEqualTo(996);
    assertThat(st.inputZeroPoint()).isEqualTo(-128);
  }

  @Test
  void narrowingShiftsTheInputAndItsZeroPointAndSaturates() {
    Requant.Shift s = new Requant.Shift(Rounding.FLOOR, List.of(0), 7, 1, -128, 127);
    ShiftStage st = ShiftStage.prepare(s, act(1, -128), act(1, 0), null, new long[] {1}, "t");
    assertThat(st.inputZeroPoint()).isEqualTo(-64);
    assertThat(st.narrow(127)).isEqualTo(63);
    assertThat(st.narrow(-128)).isEqualTo(-64);
    assertThat(st.narrow(-1)).isEqualTo(-1);
    assertThat(st.narrow(1)).isZero();
    // Saturation without a shift: 7 bits hold -64..63.
    assertThat(ShiftStage.narrow(100, 0, 7)).isEqualTo(63);
    assertThat(ShiftStage.narrow(-100, 0, 7)).isEqualTo(-64);
  }

  @Test
  void prepareRejectsMismatchedChannelsAndSaturatesTheFoldedBias() {
    Requant.Shift two = new Requant.Shift(Rounding.FLOOR, List.of(0, 0), -128, 127);
    assertThatThrownBy(() -> ShiftStage.prepare(two, act(1, 0), act(1, 0), null,
        new long[] {1}, "L")).isInstanceOf(KilnException.class).hasMessageContaining("2 shifts");
    Requant.Shift one = new Requant.Shift(Rounding.FLOOR, List.of(0), -128, 127);
    ShiftStage saturated = ShiftStage.prepare(one, act(1, -128), act(1, 0),
        new int[] {Integer.MAX_VALUE}, new long[] {1000}, "L");
    assertThat(saturated.bias(0)).isEqualTo(Integer.MAX_VALUE);
    assertThat(ShiftStage.foldedBias(Integer.MAX_VALUE, -128, 1000))
        .isEqualTo(Integer.MAX_VALUE + 128_000L);
  }

  @Test
  void shiftAttributeRejectsOutOfRangeValues() {
    assertThatThrownBy(() -> new Requant.Shift(Rounding.FLOOR, List.of(32), -128, 127))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Requant.Shift(Rounding.FLOOR, List.of(0), 3, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new Requant.Shift(Rounding.HALF_UP, List.of(0, 31), 7, 1, 0, 127).toString())
        .isEqualTo("shift(half_up, [0,31], input=i7>>1, clamp=[0,127])");
  }

  @Test
  void shiftAddAlignsBothOperandsAndRoundsOnce() {
    // lhs ratio 1/2 (shift 1), rhs ratio 1/4 (shift 2): (a << 1) + b, then >> 2.
    ShiftAdd add = ShiftAdd.prepare(new Requant.Shift(Rounding.HALF_UP, List.of(1, 2), -128,
        127), act(1, 0), act(1, 0), act(1, 0), "t");
    assertThat(add.apply(3, 1)).isEqualTo(2); // 1.5 + 0.25 = 1.75 -> 2
    assertThat(add.apply(1, 0)).isEqualTo(1); // 0.5 -> 1 (half up)
    assertThat(add.apply(-1, 0)).isEqualTo(0); // -0.5 -> 0
    assertThat(add.apply(127, 127)).isEqualTo(95);
    ShiftAdd floor = ShiftAdd.prepare(new Requant.Shift(Rounding.FLOOR, List.of(-1, 0), -128,
        127), act(1, 10), act(1, 0), act(1, 5), "t");
    assertThat(floor.apply(100, 100)).isEqualTo(127); // 2 * 90 + 100 + 5 saturates
    assertThat(floor.apply(-128, -128)).isEqualTo(-128);
  }
}
