package io.kiln.plan.dispatch;

/** What one dispatch rule says about one layer on one accelerator pattern: pass, or why not. */
public sealed interface Verdict {
  Verdict PASS = new Pass();

  /** The rule is satisfied. */
  record Pass() implements Verdict {}

  /** The rule rejects the layer; {@code reason} names the unit and what to change. */
  record Reject(String reason) implements Verdict {}

  static Verdict reject(String reason) {
    return new Reject(reason);
  }
}
