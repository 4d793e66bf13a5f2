package io.kiln.sim;

import io.kiln.plan.deploy.Step;

/**
 * How the simulator runs one accelerator call: moves its bytes between the simulated memories,
 * computes its tiles, and advances the timeline of the host, the DMA channels and the unit. A
 * unit kind whose calls run differently (an instruction stream of its own, a systolic data flow)
 * brings its own model; {@link ProgramCallModel} walks the plan's program.
 */
public interface CallModel {
  void simulate(Step.AcceleratorCall call, SimContext ctx);
}
