package io.kiln.kws;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Smooths per-inference class scores over time, after TFLM's micro_speech command recognizer:
 * scores of the inferences within the last {@code averageWindowMs} are averaged; a command is
 * reported when the averaged top score passes the threshold, enough inferences cover enough of
 * the window, and it is a new label or the previous report is older than the suppression time.
 */
public final class Recognizer {
  /** The recognizer's settings; {@link #MICRO_SPEECH} are the micro_speech example's. */
  public record Settings(int averageWindowMs, int detectionThreshold, int suppressionMs,
      int minimumCount) {}

  public static final Settings MICRO_SPEECH = new Settings(1000, 200, 1500, 3);

  /** The smoothed view after one inference. */
  public record Result(double[] averaged, int top, boolean newCommand) {}

  private record Entry(long timeMs, int[] scores) {}

  private final Settings settings;
  private final Deque<Entry> window = new ArrayDeque<>();
  private int previousTop = -1;
  private long previousTopTime = Long.MIN_VALUE / 2;

  public Recognizer(Settings settings) {
    this.settings = settings;
  }

  /**
   * Adds one inference's scores (int8 softmax outputs, -128..127) at {@code timeMs}, which must
   * not go back in time, and returns the averaged scores and whether a command was recognized.
   */
  public Result add(long timeMs, int[] scores) {
    if (!window.isEmpty() && timeMs < window.peekLast().timeMs()) {
      throw new IllegalArgumentException("results out of order: " + timeMs + " ms after "
          + window.peekLast().timeMs() + " ms");
    }
    window.addLast(new Entry(timeMs, scores.clone()));
    while (window.peekFirst().timeMs() < timeMs - settings.averageWindowMs()) {
      window.removeFirst();
    }
    double[] avg = new double[scores.length];
    for (Entry e : window) {
      for (int i = 0; i < avg.length; i++) {
        avg[i] += e.scores()[i] + 128; // the 0..255 scale TFLM's threshold is given in
      }
    }
    int top = 0;
    for (int i = 0; i < avg.length; i++) {
      avg[i] /= window.size();
      if (avg[i] > avg[top]) {
        top = i;
      }
    }
    long covered = timeMs - window.peekFirst().timeMs();
    boolean enough = window.size() >= settings.minimumCount()
        && covered >= settings.averageWindowMs() / 4;
    boolean fresh = top != previousTop || timeMs - previousTopTime > settings.suppressionMs();
    boolean command = enough && avg[top] > settings.detectionThreshold() && fresh;
    if (command) {
      previousTop = top;
      previousTopTime = timeMs;
    }
    return new Result(avg, top, command);
  }
}
