package io.kiln.plan.schedule;

import io.kiln.ir.Node;
import io.kiln.plan.tiling.TileProblem;
import io.kiln.plan.tiling.Tiling;
import io.kiln.plan.weights.BlobLayout;
import java.util.List;
import java.util.Optional;

/**
 * The plan of one layer on one unit: tiles, the ordered DMA transfers and compute calls, and the
 * cost model's estimate. Cycle counts refer to the hardware description's clock for accelerators
 * and to the CPU's clock for CPU layers ({@link #clockHz}).
 *
 * @param node the planned node
 * @param unit where it runs
 * @param problem the tiling problem solved (null for CPU layers)
 * @param tiling the chosen tiling (null for CPU layers)
 * @param transfers DMA transfers in schedule order (empty for CPU layers)
 * @param calls compute calls in schedule order (one for a CPU layer)
 * @param l1Bytes L1 reserved by the tiles (double buffers included); 0 on the CPU
 * @param weightMemoryBytes private weight memory reserved; 0 when weights share L1
 * @param dmaBytes bytes moved by all transfers
 * @param computeCycles sum of the compute calls' cycles
 * @param dmaCycles sum of the transfers' cycles
 * @param totalCycles the layer's latency with DMA overlapped under double buffering
 * @param macUtilization MACs / (total cycles × the unit's peak MACs per cycle)
 * @param macs useful multiply-accumulates of the layer
 * @param energyPj estimated energy from per-byte memory and per-MAC (or per-cycle) energies
 * @param clockHz the clock the cycle counts refer to
 * @param fused nodes after {@code node} that run in the same calls' output stage (a residual Add,
 *     a pooling), in dataflow order; empty for most layers
 * @param weightBlob how the layer's weights and parameters are laid out for its accelerator
 *     (its weight transfers read slices of it); empty for CPU layers and layers without weights
 */
public record LayerPlan(Node node, Unit unit, TileProblem problem, Tiling tiling, List<Transfer> transfers,
    List<ComputeCall> calls, long l1Bytes, long weightMemoryBytes, long dmaBytes, long computeCycles,
    long dmaCycles, long totalCycles, double macUtilization, long macs, double energyPj, long clockHz,
    List<Node> fused, Optional<BlobLayout> weightBlob) implements LayerPlanResult {

  public LayerPlan {
    transfers = List.copyOf(transfers);
    calls = List.copyOf(calls);
    fused = List.copyOf(fused);
  }

  /** A plan of one node with nothing fused that reads no weight blob (a CPU layer, or one without weights). */
  public LayerPlan(Node node, Unit unit, TileProblem problem, Tiling tiling, List<Transfer> transfers,
      List<ComputeCall> calls, long l1Bytes, long weightMemoryBytes, long dmaBytes, long computeCycles,
      long dmaCycles, long totalCycles, double macUtilization, long macs, double energyPj, long clockHz) {
    this(node, unit, problem, tiling, transfers, calls, l1Bytes, weightMemoryBytes, dmaBytes, computeCycles,
        dmaCycles, totalCycles, macUtilization, macs, energyPj, clockHz, List.of(), Optional.empty());
  }

  /** The same plan with other transfers (tests use it to break a plan on purpose). */
  public LayerPlan withTransfers(List<Transfer> newTransfers) {
    return new LayerPlan(node, unit, problem, tiling, newTransfers, calls, l1Bytes, weightMemoryBytes, dmaBytes,
        computeCycles, dmaCycles, totalCycles, macUtilization, macs, energyPj, clockHz, fused, weightBlob);
  }

  /** The same plan reserving {@code bytes} of L1 (a systolic unit's im2col workspace included). */
  public LayerPlan withL1Bytes(long bytes) {
    return new LayerPlan(node, unit, problem, tiling, transfers, calls, bytes, weightMemoryBytes, dmaBytes,
        computeCycles, dmaCycles, totalCycles, macUtilization, macs, energyPj, clockHz, fused, weightBlob);
  }

  /** The same plan claiming other fused nodes. */
  public LayerPlan withFused(List<Node> newFused) {
    return new LayerPlan(node, unit, problem, tiling, transfers, calls, l1Bytes, weightMemoryBytes, dmaBytes,
        computeCycles, dmaCycles, totalCycles, macUtilization, macs, energyPj, clockHz, newFused, weightBlob);
  }

  /** Whether the layer runs tiled on an accelerator (false for the CPU). */
  public boolean tiled() {
    return tiling != null;
  }

  /** Latency in seconds at {@link #clockHz}. */
  public double seconds() {
    return (double) totalCycles / clockHz;
  }
}
