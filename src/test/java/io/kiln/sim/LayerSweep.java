package io.kiln.sim;

import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.Value;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.codegen.CodegenResources;
import io.kiln.target.HardwareDescription;
import io.kiln.target.HardwareLoader;
import io.kiln.testing.PlanGraphs;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Single-layer simulations for the published-behaviour checks and the benchmark sweeps: one conv
 * 3×3, pointwise, depthwise or fully-connected layer with power-of-two scales (so shift-only
 * output stages take it), planned on a target and simulated; the unit's array time (the sum of
 * its jobs' compute) is the layer's peak, the step's cycles its full call.
 */
public final class LayerSweep {
  private LayerSweep() {}

  /** The layer kinds of the sweeps. */
  public enum Kind {
    CONV3X3, POINTWISE, DEPTHWISE, FC
  }

  /**
   * One simulated layer.
   *
   * @param peakCycles the unit's compute time alone (array model, output stage)
   * @param kernelCycles the kernel calls: per-job overhead, compute, weight and parameter transfers
   * @param fullCycles the whole layer: also the activation transfers not hidden behind compute
   */
  public record Row(Kind kind, int c, int k, int hw, String unit, long macs, long peakCycles, long kernelCycles,
      long fullCycles, int tiles, boolean matched) {
    /** What the kernel calls lose to the peak: 1 - peak / kernel. */
    public double kernelLoss() {
      return kernelCycles == 0 ? 0 : 1 - (double) peakCycles / kernelCycles;
    }

    /** What the whole layer (activation DMA included) loses to the peak: 1 - peak / full. */
    public double loss() {
      return fullCycles == 0 ? 0 : 1 - (double) peakCycles / fullCycles;
    }

    public double peakMacsPerCycle() {
      return peakCycles == 0 ? 0 : (double) macs / peakCycles;
    }

    public double fullMacsPerCycle() {
      return fullCycles == 0 ? 0 : (double) macs / fullCycles;
    }
  }

  /** The single-layer graph of {@code kind} with {@code c} input and {@code k} output channels on an hw×hw map. */
  public static Graph graph(Kind kind, int c, int k, int hw) {
    PlanGraphs p = new PlanGraphs(11);
    int out = switch (kind) {
      case CONV3X3 -> p.conv(p.input(hw, hw, c, 0.5), k, 3, 1, 1, 0.25, 1.0, Op.Activation.RELU);
      case POINTWISE -> p.conv(p.input(hw, hw, c, 0.5), k, 1, 1, 0, 0.25, 1.0, Op.Activation.RELU);
      case DEPTHWISE -> p.depthwise(p.input(hw, hw, c, 0.5), 3, 1, 1, 0.25, 1.0, Op.Activation.RELU);
      case FC -> p.fc(p.input(Shape.of(1, c), 0.5), k, 0.25, 1.0, Op.Activation.RELU);
    };
    return p.build(out);
  }

  public static Row run(Kind kind, int c, int k, int hw, HardwareDescription target, Policy policy,
      boolean ternarize) {
    Graph g = graph(kind, c, k, hw);
    Planner.Planned planned = Planner.plan(g, target, new Planner.Options(policy, ternarize, SolverKind.BNB));
    Simulation s = Simulator.simulate(planned.plan(), planned.costs(), Simulator.CpuTiming.of(planned.costs()),
        inputs(planned.plan().graph(), 5), true, policy.cliName());
    Simulation.Layer layer = null;
    for (int i = 0; i < planned.plan().steps().size(); i++) {
      if (planned.plan().steps().get(i) instanceof Step.AcceleratorCall) {
        layer = s.layers().get(i);
      }
    }
    if (layer == null) {
      layer = s.layers().get(0);
    }
    return new Row(kind, c, kind == Kind.DEPTHWISE ? c : k, hw, layer.unit(), layer.macs(), layer.computeCycles(),
        layer.kernelCycles(), layer.cycles(), layer.tiles(), s.check().orElseThrow().matched());
  }

  /** The dla preset with an NVDLA-style array: 16 input channels × 64 output channels a cycle. */
  public static HardwareDescription atomicDla() {
    String yaml = CodegenResources.text("/io/kiln/target/presets/dla.yaml")
        .replace("peak_macs_per_cycle: 64", "peak_macs_per_cycle: 1024")
        .replace("array: {pe: 64}", "array: {atomic_c: 16, atomic_k: 64}")
        .replace("on: pe}", "on: atomic_k}")
        .replaceFirst("- \\{loops: \\[K\\], on: atomic_k\\}", "- {loops: [C], on: atomic_c}\n          - {loops: [K], on: atomic_k}");
    return HardwareLoader.parse(yaml, "atomic dla");
  }

  /** Seeded uniform int8 inputs for every input of {@code g}. */
  public static List<Tensor> inputs(Graph g, long seed) {
    return SeededInputs.of(g, seed);
  }
}
