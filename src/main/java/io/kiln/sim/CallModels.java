package io.kiln.sim;

import io.kiln.target.Accelerator;

/** Which {@link CallModel} simulates the calls of each accelerator. */
@FunctionalInterface
public interface CallModels {
  CallModel forUnit(Accelerator unit);

  /** Every unit by the plan's program, with the array and the functional model of its kind. */
  CallModels DEFAULT = unit -> ProgramCallModel.INSTANCE;
}
