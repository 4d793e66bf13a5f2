package io.kiln.plan.schedule;

/**
 * A layer that cannot be planned on a unit, with one sentence a user can act on (it names the
 * memory and the sizes when nothing fits). Dispatch falls back to the CPU with this reason.
 */
public record Unplannable(Unit unit, String reason) implements LayerPlanResult {}
