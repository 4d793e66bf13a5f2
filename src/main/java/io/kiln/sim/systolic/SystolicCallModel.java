package io.kiln.sim.systolic;

import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.schedule.GemmTile;
import io.kiln.plan.schedule.SystolicEngine;
import io.kiln.sim.CallModel;
import io.kiln.sim.ProgramCallModel;
import io.kiln.sim.SimContext;
import io.kiln.target.HardwareDescription;

/**
 * How the simulator runs a call on a systolic unit: the plan's program is walked as for every
 * unit (its DMA starts and waits move real bytes on the simulated channels), each job's sums are
 * computed by the engine's own data flow ({@link SystolicDataFlow}: SRAM arrays, address
 * generation or the materialized im2col matrix, folds on the array, int32 accumulation in the
 * vector ALUs) from the bytes the DMA left in the simulated SRAM, then requantized by the lowered
 * graph's output stage, and each job is timed by the {@link SystolicEngine}: folds, skewed
 * streaming, drain, SRAM port conflicts, with the im2col method and multi-tile setting of the
 * description. Off-chip transfers overlap compute through the plan's double-buffered program.
 */
public final class SystolicCallModel implements CallModel {
  /** Timing at the plan's batch of one image, sums by {@link FastFold}. */
  public static final SystolicCallModel BATCH_1 = new SystolicCallModel(1);

  private final int batch;
  private final CallModel program;

  /** A model that times every job for {@code batch} images sharing the loaded weights. */
  public SystolicCallModel(int batch) {
    this(batch, FastFold::new);
  }

  /** The same, with the folds computed on the arrays {@code arrays} makes (the cycle-stepped one in tests). */
  public SystolicCallModel(int batch, Fold.Factory arrays) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be at least 1, got " + batch);
    }
    this.batch = batch;
    this.program = ProgramCallModel.of(this::cycles, (call, ctx) -> {
      SystolicEngine e = engine(ctx.hardware(), call);
      return new SystolicDataFlow(e, arrays.of(e.parameters().rows(), e.parameters().cols()));
    });
  }

  @Override
  public void simulate(Step.AcceleratorCall call, SimContext ctx) {
    program.simulate(call, ctx);
  }

  private long cycles(Step.AcceleratorCall call, TileJob job, SimContext ctx) {
    SystolicEngine engine = engine(ctx.hardware(), call);
    GemmTile g = GemmTile.of(call.geometry().shape(), job, batch);
    return engine.time(g).cycles();
  }

  /** The engine of a call's unit in description {@code hw}. */
  public static SystolicEngine engine(HardwareDescription hw, Step.AcceleratorCall call) {
    return SystolicEngine.of(hw, call.unit());
  }
}
