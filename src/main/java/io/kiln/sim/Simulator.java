package io.kiln.sim;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import io.kiln.plan.deploy.CostModel;
import io.kiln.plan.deploy.DeploymentPlan;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.deploy.Region;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.weights.BlobLayout;
import io.kiln.plan.weights.LayerConstants;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A discrete-event simulation of a {@link DeploymentPlan} on its hardware description, functional
 * and timed at once. The host walks the plan's steps and each accelerator call's program in
 * order: it runs CPU kernels, starts DMA transfers on the engines' channels (they run beside it,
 * or hold it when the engine is synchronous), waits where the program waits, and submits each
 * job to its unit and waits for it. Every transfer moves the bytes its descriptor names between
 * the simulated memories and every job computes its tile from its buffers, so a plan with a wrong
 * tile, halo or address produces wrong outputs here; the outputs of each step are compared with
 * the interpreter on the lowered graph.
 */
public final class Simulator {
  private final DeploymentPlan plan;
  private final CostModel baseline;
  private final CpuTiming cpuTiming;
  private final HardwareDescription hw;
  private final Graph graph;
  private final Interpreter interpreter;
  private final SimMemories mem;
  private final String[] memoryNames;
  private final Map<String, Integer> memoryIndex = new HashMap<>();
  private final Timeline timeline;
  private final CallModels models;
  private final boolean functional;

  private Simulator(DeploymentPlan plan, CostModel baseline, CpuTiming cpuTiming, CallModels models,
      boolean functional) {
    this.functional = functional;
    this.plan = plan;
    this.models = models;
    this.baseline = baseline;
    this.cpuTiming = cpuTiming;
    this.hw = plan.hardware();
    this.graph = plan.graph();
    // The CPU kernels run on it; a timing-only run executes nothing and prepares no kernel.
    this.interpreter = functional ? new Interpreter(graph) : null;
    Map<String, Long> extents = new HashMap<>(plan.sharedExtents());
    plan.localPeaks().forEach((k, v) -> extents.merge(k, v, Math::max));
    this.mem = new SimMemories(hw, extents);
    List<MemoryLevel> all = hw.allMemories();
    memoryNames = new String[all.size()];
    for (int i = 0; i < all.size(); i++) {
      memoryNames[i] = all.get(i).name();
      memoryIndex.put(all.get(i).name(), i);
    }
    this.timeline = new Timeline(hw);
  }

  /**
   * Simulates one inference of {@code plan} on {@code inputs}; when {@code check}, compares every
   * step's output with the interpreter on the lowered graph. {@code baseline} gives the analytic
   * estimate each step is compared with, {@code cpuTiming} the cycles of CPU kernels.
   */
  public static Simulation simulate(DeploymentPlan plan, CostModel baseline, CpuTiming cpuTiming,
      List<Tensor> inputs, boolean check, String policy) {
    return simulate(plan, baseline, cpuTiming, CallModels.DEFAULT, inputs, check, policy);
  }

  /** As above, with the accelerator calls simulated by {@code models}. */
  public static Simulation simulate(DeploymentPlan plan, CostModel baseline, CpuTiming cpuTiming, CallModels models,
      List<Tensor> inputs, boolean check, String policy) {
    return new Simulator(plan, baseline, cpuTiming, models, true).run(inputs, check, policy);
  }

  /**
   * Times {@code plan} without executing it: no bytes move, no tile or kernel is computed, and
   * there is no output check. Timing does not depend on the data, so the cycles equal a
   * functional run's; this is for networks too large to execute quickly.
   */
  public static Simulation simulateTiming(DeploymentPlan plan, CostModel baseline, CpuTiming cpuTiming,
      CallModels models, String policy) {
    return new Simulator(plan, baseline, cpuTiming, models, false).run(null, false, policy);
  }

  private Simulation run(List<Tensor> inputs, boolean check, String policy) {
    Tensor[] reference = check ? new Interpreter(graph).trace(inputs) : null;
    if (functional) {
      loadBlobs();
      List<Value> ins = graph.inputValues();
      for (int i = 0; i < ins.size(); i++) {
        mem.write(region(ins.get(i).id()), inputs.get(i).toBytes(), "input " + i);
      }
    }
    List<Simulation.Layer> layers = new ArrayList<>();
    Optional<String> mismatch = Optional.empty();
    for (int s = 0; s < plan.steps().size(); s++) {
      Step step = plan.steps().get(s);
      Node n = graph.nodes().get(step.node());
      StepStats stats = new StepStats(timeline.host());
      switch (step) {
        case Step.CpuKernel c -> cpu(s, c, stats);
        case Step.AcceleratorCall c -> models.forUnit(c.unit()).simulate(c,
            new SimContext(hw, graph, mem, memoryNames, memoryIndex, timeline, stats, s, functional));
      }
      layers.add(stats.layer(s, n, name(n), unitName(step), baseline.cost(plan, step).cycles(), peak(step),
          timeline.host()));
      if (check && mismatch.isEmpty()) {
        mismatch = compare(s, step, reference);
      }
    }
    List<Tensor> outputs = new ArrayList<>();
    for (int id : functional ? graph.outputs() : List.<Integer>of()) {
      Value v = graph.value(id);
      outputs.add(Tensor.fromBytes(v.dtype(), v.shape(), mem.read(region(id), "output %" + id)));
    }
    Optional<Simulation.Check> result = check
        ? Optional.of(new Simulation.Check(mismatch.isEmpty(), mismatch)) : Optional.empty();
    return new Simulation(hw.name(), policy, hw.clockHz(), timeline.host(), layers, timeline.events(),
        timeline.busy(), outputs, result, cpuTiming.describe());
  }

  private void loadBlobs() {
    for (Step.AcceleratorCall c : plan.calls()) {
      if (c.blob().isPresent()) {
        BlobLayout layout = c.blobLayout().orElseThrow();
        Node n = graph.nodes().get(c.node());
        mem.write(c.blob().get(), layout.pack(LayerConstants.of(graph, n, layout.params())), "blob of " + name(n));
      }
    }
  }

  private Region region(int value) {
    Region r = plan.values().get(value);
    if (r == null) {
      throw new IllegalStateException("value %" + value + " has no place in the arena");
    }
    return r;
  }

  private static String name(Node n) {
    return n.op().opName() + " %" + n.output();
  }

  private String unitName(Step step) {
    return step instanceof Step.AcceleratorCall c ? c.unit().name() : hw.cpu().name();
  }

  private long peak(Step step) {
    if (step instanceof Step.AcceleratorCall c) {
      return c.unit().peakMacsPerCycle();
    }
    return Math.max(1, (long) hw.cpu().cores() * Math.max(1, hw.cpu().simdWidthBits() / 8));
  }

  // ---- CPU kernels ----

  private void cpu(int s, Step.CpuKernel c, StepStats stats) {
    Node n = graph.nodes().get(c.node());
    Tensor[] args = new Tensor[n.inputs().size()];
    long read = 0;
    for (int i = 0; i < args.length; i++) {
      int id = n.inputs().get(i);
      if (id == Node.ABSENT) {
        continue;
      }
      Value v = graph.value(id);
      if (!functional) {
        read += v.isConstant() ? 0 : region(id).bytes();
      } else if (v.isConstant()) {
        args[i] = interpreter.constant(id);
      } else {
        Region r = region(id);
        args[i] = Tensor.fromBytes(v.dtype(), v.shape(), mem.read(r, name(n) + ": input %" + id));
        read += r.bytes();
      }
    }
    Region o = region(n.output());
    if (functional) {
      mem.write(o, interpreter.runNode(c.node(), args).toBytes(), name(n) + ": output");
    }
    long cycles = cpuTiming.cycles(plan, c);
    long start = timeline.host();
    timeline.hostBusy(cycles, name(n), "cpu", s, -1);
    stats.compute(cycles);
    stats.kernel(cycles);
    stats.macs(baseline.cost(plan, c).macs());
    String l2 = o.memory();
    stats.energy(hw.cpu().name(), cycles * hw.cpu().energyPjPerCycle());
    stats.energy(l2, (read + o.bytes()) * energy(l2));
    if (timeline.host() < start) {
      throw new IllegalStateException("time ran backwards");
    }
  }

  private double energy(String memory) {
    return SimContext.energyPerByte(hw, memory);
  }

  // ---- the check ----

  private Optional<String> compare(int s, Step step, Tensor[] reference) {
    int value = step instanceof Step.AcceleratorCall c ? c.output().value() : graph.nodes().get(step.node()).output();
    Region r = region(value);
    byte[] got = mem.read(r, "output of step " + s);
    byte[] want = reference[value].toBytes();
    for (int i = 0; i < want.length; i++) {
      if (got[i] != want[i]) {
        Node n = graph.nodes().get(step.node());
        Value v = graph.value(value);
        int e = i / v.dtype().bytes();
        String tile = step instanceof Step.AcceleratorCall c ? writer(c, r.offset() + i) : "";
        return Optional.of("step " + s + " (" + name(n) + " on " + unitName(step) + ")" + tile
            + ": first wrong byte " + i + " of %" + value + " " + element(v, e) + ": got " + got[i] + ", want "
            + want[i]);
      }
    }
    return Optional.empty();
  }

  /** The tile whose write-back last covered {@code address} of the arena. */
  private static String writer(Step.AcceleratorCall c, long address) {
    String found = " (no tile writes it)";
    for (DmaDescriptor d : c.transfers()) {
      if (!d.dst().equals(c.output().region().memory()) || !d.dstExtent().overlaps(
          new Region(d.dst(), address, 1))) {
        continue;
      }
      long[] hit = {0};
      d.forEachRun((from, to) -> {
        if (address >= to && address < to + d.run()) {
          hit[0] = 1;
        }
      });
      if (hit[0] == 1) {
        found = " tile " + d.tile();
      }
    }
    return found;
  }

  private static String element(Value v, int flat) {
    int[] dims = v.shape().dims();
    int[] at = new int[dims.length];
    for (int i = dims.length - 1; i >= 0; i--) {
      at[i] = dims[i] == 0 ? 0 : flat % dims[i];
      flat = dims[i] == 0 ? 0 : flat / dims[i];
    }
    return "element " + java.util.Arrays.toString(at);
  }

  /** Where the simulator's CPU kernel cycles come from. */
  public interface CpuTiming {
    /** Cycles of CPU step {@code step}, at the description's clock. */
    long cycles(DeploymentPlan plan, Step.CpuKernel step);

    /** Where the cycles come from, for reports. */
    default String describe() {
      return "the analytic model's per-kernel costs";
    }

    /** The baseline's own CPU estimate. */
    static CpuTiming of(CostModel model) {
      return (plan, step) -> model.cost(plan, step).cycles();
    }

    /**
     * The CPU cycle model calibrated on instruction counts of Kiln's own kernels under emulation
     * ({@link io.kiln.sim.cpu.CpuCycleModel}), converted from the CPU's clock to the description's.
     * A node whose output shares its input's bytes in the arena (a Reshape the code generator
     * aliases) costs nothing.
     */
    static CpuTiming calibrated(HardwareDescription hw) {
      io.kiln.sim.cpu.CpuCycleModel model = io.kiln.sim.cpu.CpuCycleModel.forCpu(hw.cpu());
      return new CpuTiming() {
        @Override
        public String describe() {
          return model.source();
        }

        @Override
        public long cycles(DeploymentPlan plan, Step.CpuKernel step) {
        Node n = plan.graph().nodes().get(step.node());
        Region out = plan.values().get(n.output());
        if (out != null && n.inputs().stream().anyMatch(i -> out.equals(plan.values().get(i)))) {
          return 0;
        }
        long cycles = model.cycles(plan.graph(), n);
        return hw.clockHz() == hw.cpu().clockHz() ? cycles
            : (long) Math.ceil((double) cycles * hw.clockHz() / hw.cpu().clockHz());
        }
      };
    }

    /** Which calibration {@link #calibrated} uses, for reports. */
    static String calibrationOf(HardwareDescription hw) {
      return io.kiln.sim.cpu.CpuCycleModel.forCpu(hw.cpu()).source();
    }
  }
}
