package io.kiln.plan.tiling;

/**
 * Chooses tile sizes for one layer that fit the memories and maximize the objective.
 * {@link ExhaustiveSolver} is the baseline the others are tested against, and
 * {@link TilingChecker} checks any answer.
 */
public interface TilingSolver {

  TilingResult solve(TileProblem p);
}
