package io.kiln.passes;

import io.kiln.passes.Pattern.OpPattern;

/**
 * A rewrite rule: a name, a pattern rooted at the node it rewrites, and a function that edits the
 * graph or says why it will not.
 */
public record Rule(String name, OpPattern pattern, Rewriter rewriter) {

  /** Performs the rewrite for one match through {@code edit}, or refuses with a reason. */
  @FunctionalInterface
  public interface Rewriter {
    Outcome rewrite(Match m, GraphEdit edit);
  }

  /** What a rewriter decided. */
  public sealed interface Outcome {
    /** The edit holds the rewrite. */
    record Rewritten() implements Outcome {}

    /** Not applied, with the reason reports show. */
    record Rejected(String reason) implements Outcome {}

    /** Not applied and not worth reporting (the match was incidental). */
    record Skipped() implements Outcome {}
  }

  public static Outcome rewritten() {
    return new Outcome.Rewritten();
  }

  public static Outcome reject(String reason) {
    return new Outcome.Rejected(reason);
  }

  public static Outcome skip() {
    return new Outcome.Skipped();
  }
}
