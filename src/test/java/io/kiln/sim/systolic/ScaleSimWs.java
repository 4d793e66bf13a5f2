package io.kiln.sim.systolic;

/**
 * SCALE-Sim v2's weight-stationary cycle count of a plain GEMM, stated from how that simulator
 * builds its per-fold demand (facts read from scalesim/compute/systolic_compute_ws.py, no code
 * taken): the operand matrices are cut into ceil(Sr / R) x ceil(Sc / C) folds, each padded with
 * null requests to the whole R x C array, so a partial fold costs what a full one does; a fold's
 * demand is R cycles of weight fill, then the T input rows, then C - 1 cycles of drain, all skewed
 * by R - 1 cycles across the rows; folds follow one another with no overlap (no weight preload
 * behind the previous fold's stream). The compute cycles are the demand rows; memory stalls come
 * on top of them in SCALE-Sim and are not counted here.
 */
public final class ScaleSimWs {
  private ScaleSimWs() {}

  /** Cycles of a T x Sr times Sr x Sc GEMM on an R x C array. */
  public static long cycles(int r, int c, long sr, long sc, long t) {
    long folds = ((sr + r - 1) / r) * ((sc + c - 1) / c);
    long weightFill = r;
    long skew = r - 1;
    long drain = c - 1;
    return folds * (weightFill + t + drain + skew);
  }
}
