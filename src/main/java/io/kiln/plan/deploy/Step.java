package io.kiln.plan.deploy;

import io.kiln.plan.schedule.LayerGeometry;
import io.kiln.plan.schedule.Transfer;
import io.kiln.plan.tiling.Tiling;
import io.kiln.plan.weights.BlobLayout;
import io.kiln.target.Accelerator;
import java.util.List;
import java.util.Optional;

/**
 * One step of a deployment, in execution order: a CPU kernel for one node of the lowered graph,
 * or an accelerator call that runs a layer (with its fused stages) tile by tile. Steps describe
 * what happens; what it costs is a {@link CostModel}'s answer.
 */
public sealed interface Step {

  /** Index of the (main) node in the lowered graph. */
  int node();

  /** The CPU runs node {@code node} with its kernel. */
  record CpuKernel(int node) implements Step {}

  /**
   * An accelerator runs node {@code node} and the nodes {@code fused} into its output stage.
   *
   * @param geometry the loop nest the tiler saw
   * @param input the tensor the tiles' inputs are cut from
   * @param output the tensor the output tiles are written into (the last fused stage's)
   * @param operand the second operand's tensor (an element-wise right operand, a residual skip)
   * @param blob where the layer's weight blob lives, and its layout
   * @param buffers every L1 (and weight-memory) buffer the tiles use
   * @param jobs one per tile, in tile order
   * @param program the host's DMA starts, waits and job runs, in issue order
   */
  record AcceleratorCall(int node, List<Integer> fused, Accelerator unit, LayerGeometry geometry, Tiling tiling,
      TensorPlace input, TensorPlace output, Optional<TensorPlace> operand, Optional<Region> blob,
      Optional<BlobLayout> blobLayout, List<Buffer> buffers, List<TileJob> jobs, List<Action> program)
      implements Step {
    public AcceleratorCall {
      fused = List.copyOf(fused);
      buffers = List.copyOf(buffers);
      jobs = List.copyOf(jobs);
      program = List.copyOf(program);
    }

    /** The DMA descriptors of the program, in issue order. */
    public List<DmaDescriptor> transfers() {
      return program.stream().filter(a -> a instanceof Action.Start).map(a -> ((Action.Start) a).dma()).toList();
    }
  }

  /**
   * One buffer of an accelerator call in a unit-local memory.
   *
   * @param role what it holds (the kind of the transfers that fill or drain it)
   * @param copy which of its copies (0 or 1 under double buffering)
   */
  record Buffer(Transfer.Kind role, int copy, Region region) {}
}
