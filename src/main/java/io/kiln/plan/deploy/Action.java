package io.kiln.plan.deploy;

import java.util.List;

/**
 * One step of an accelerator call's program, in the order the host issues them: start a DMA
 * transfer (it runs in the background), wait for transfers, or run a job on the unit (the host
 * submits it and waits for it).
 */
public sealed interface Action {
  /** Starts {@code dma}. */
  record Start(DmaDescriptor dma) implements Action {}

  /** Waits until every transfer named by its descriptor id has finished. */
  record Wait(List<Integer> ids) implements Action {
    public Wait {
      ids = List.copyOf(ids);
    }
  }

  /** Runs the job of tile {@code tile} and waits for it. */
  record Run(int tile) implements Action {}
}
