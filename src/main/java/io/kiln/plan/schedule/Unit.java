package io.kiln.plan.schedule;

import io.kiln.target.Accelerator;
import io.kiln.target.Cpu;

/** A compute unit of a hardware description that a layer can be planned on: the CPU or one accelerator. */
public sealed interface Unit {

  /** The unit's name as the hardware description spells it (reports and dispatch use it). */
  String name();

  /** The host CPU: no tiling, its own cycle model per kernel kind. */
  record CpuUnit(Cpu cpu) implements Unit {
    @Override
    public String name() {
      return cpu.name();
    }
  }

  /** One accelerator: tiled into its L1, fed by DMA. */
  record AcceleratorUnit(Accelerator accelerator) implements Unit {
    @Override
    public String name() {
      return accelerator.name();
    }
  }
}
