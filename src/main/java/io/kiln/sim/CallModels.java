package io.kiln.sim;

import io.kiln.target.Accelerator;

/** Which {@link CallModel} simulates the calls of each accelerator. */
@FunctionalInterface
public interface CallModels {
  CallModel forUnit(Accelerator unit);

  /**
   * Every unit by the plan's program, with the array and the functional model of its kind; a
   * systolic array by its own data-flow timing ({@link io.kiln.sim.systolic.SystolicCallModel}).
   */
  CallModels DEFAULT = unit -> unit.kind() == Accelerator.Kind.SYSTOLIC
      ? io.kiln.sim.systolic.SystolicCallModel.BATCH_1
      : ProgramCallModel.INSTANCE;
}
