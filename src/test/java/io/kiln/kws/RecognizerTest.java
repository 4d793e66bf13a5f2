package io.kiln.kws;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The score smoothing: averages over the window, minimum count, threshold and suppression. */
class RecognizerTest {
  private static final int[] YES = {-128, -128, 127, -128};
  private static final int[] SILENCE = {127, -128, -128, -128};

  @Test
  void aCommandNeedsEnoughConfidentInferencesAndIsNotRepeatedWithinTheSuppression() {
    Recognizer r = new Recognizer(Recognizer.MICRO_SPEECH);
    assertThat(r.add(0, YES).newCommand()).isFalse();
    assertThat(r.add(100, YES).newCommand()).isFalse(); // two results: below the minimum count
    Recognizer.Result third = r.add(300, YES);
    assertThat(third.top()).isEqualTo(2);
    assertThat(third.averaged()[2]).isEqualTo(255.0);
    assertThat(third.newCommand()).isTrue();
    assertThat(r.add(400, YES).newCommand()).as("suppressed repeat").isFalse();
    // Later, the window holds fresh results only: it needs three again, spanning 250 ms.
    assertThat(r.add(1700, YES).newCommand()).isFalse();
    assertThat(r.add(1850, YES).newCommand()).isFalse();
    assertThat(r.add(2000, YES).newCommand()).as("after the suppression time").isTrue();
  }

  @Test
  void oldScoresLeaveTheAverage() {
    Recognizer r = new Recognizer(Recognizer.MICRO_SPEECH);
    r.add(0, YES);
    Recognizer.Result mixed = r.add(500, SILENCE);
    assertThat(mixed.averaged()[2]).isEqualTo(127.5);
    Recognizer.Result later = r.add(1600, SILENCE);
    assertThat(later.averaged()[2]).as("the yes at 0 ms is outside 1000 ms").isEqualTo(0.0);
    assertThat(later.top()).isZero();
  }
}
