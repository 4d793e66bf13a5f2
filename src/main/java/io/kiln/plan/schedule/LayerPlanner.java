package io.kiln.plan.schedule;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.plan.tiling.TilingSolver;
import io.kiln.target.HardwareDescription;

/**
 * Plans one layer on one unit of a hardware description: builds the tiling problem from the node
 * and the accelerator, solves it, re-checks it, and schedules DMA transfers and compute calls
 * with the cost model. It never throws because a layer does not fit; it answers
 * {@link Unplannable} with the reason.
 */
public final class LayerPlanner {
  private final HardwareDescription hw;
  private final TilingSolver solver;

  public LayerPlanner(HardwareDescription hw, TilingSolver solver) {
    this.hw = hw;
    this.solver = solver;
  }

  public HardwareDescription hardware() {
    return hw;
  }

  /** The plan of {@code n} (a node of {@code g}) on {@code unit}, or why there is none. */
  public LayerPlanResult plan(Graph g, Node n, Unit unit) {
    return new Unplannable(unit, "layer planning not implemented yet");
  }
}
