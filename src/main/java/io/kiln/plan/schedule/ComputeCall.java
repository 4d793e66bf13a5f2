package io.kiln.plan.schedule;

/**
 * One call of a unit's kernel on one tile.
 *
 * @param step position in the layer's ordered schedule
 * @param tileIndex the tile computed, 0-based in schedule order
 * @param cycles cycles of the call, including the unit's per-call overhead
 * @param macs useful multiply-accumulates of the tile
 */
public record ComputeCall(int step, int tileIndex, long cycles, long macs) {}
