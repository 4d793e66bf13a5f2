package io.kiln.sweep;

import io.kiln.KilnException;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.sim.CallModels;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.sim.dla.DlaCallModel;
import io.kiln.sim.dla.DlaStats;
import io.kiln.sim.dla.SubgraphKind;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Hardware design-space exploration: every point of the cross product of a parameterized
 * preset's parameters is planned and simulated (the DLA's calls on its instruction-set
 * simulator), in parallel; a point that cannot be resolved, planned or simulated keeps its
 * reason and the sweep goes on.
 */
public final class Sweep {
  private Sweep() {}

  /** One parameter and the values it takes. */
  public record Vary(String name, List<String> values) {
    public Vary {
      values = List.copyOf(values);
    }

    /** {@code NAME=V1,V2,...}. */
    public static Vary parse(String s) {
      int eq = s.indexOf('=');
      if (eq <= 0 || eq == s.length() - 1) {
        throw new KilnException("--vary takes NAME=V1,V2,..., not '" + s + "'");
      }
      List<String> vs = List.of(s.substring(eq + 1).split(","));
      if (vs.stream().anyMatch(String::isBlank)) {
        throw new KilnException("--vary " + s + ": an empty value");
      }
      return new Vary(s.substring(0, eq), vs);
    }
  }

  /**
   * The outcome of one point.
   *
   * @param kinds accelerated cycles per subgraph kind (DLA: from the ISS; other units: layer cycles by operator)
   * @param sramUsed the highest byte of the accelerators' local memories the plan uses
   * @param sramSize their capacity
   * @param codeBytes command-stream bytes (DLA)
   * @param dataBytes weight-blob bytes the accelerator calls read
   */
  public record Result(String target, Map<String, String> params, Optional<String> error, long cycles,
      long hostCycles, Map<SubgraphKind, Long> kinds, double utilization, long sramUsed, long sramSize,
      long codeBytes, long dataBytes, boolean matched) {
    static Result failed(String target, Map<String, String> params, String why) {
      return new Result(target, params, Optional.of(why), 0, 0, Map.of(), 0, 0, 0, 0, 0, false);
    }
  }

  /** The target strings of the cross product, in order (the last parameter varies fastest). */
  public static List<Map<String, String>> points(List<Vary> vary) {
    List<Map<String, String>> out = new ArrayList<>();
    out.add(new LinkedHashMap<>());
    for (Vary v : vary) {
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> p : out) {
        for (String value : v.values()) {
          Map<String, String> q = new LinkedHashMap<>(p);
          q.put(v.name(), value);
          next.add(q);
        }
      }
      out = next;
    }
    return out;
  }

  public static String target(String preset, Map<String, String> params) {
    StringBuilder sb = new StringBuilder(preset);
    String sep = preset.contains(":") ? "," : ":";
    for (Map.Entry<String, String> e : params.entrySet()) {
      sb.append(sep).append(e.getKey()).append('=').append(e.getValue());
      sep = ",";
    }
    return sb.toString();
  }

  /** Runs every point on {@code jobs} threads; {@code progress} hears each finished point. */
  public static List<Result> run(Graph g, String preset, List<Vary> vary, int jobs, Consumer<Result> progress) {
    List<Map<String, String>> pts = points(vary);
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, jobs));
    try {
      List<Future<Result>> fs = new ArrayList<>();
      for (Map<String, String> p : pts) {
        fs.add(pool.submit(() -> {
          Result r = point(g, target(preset, p), p);
          progress.accept(r);
          return r;
        }));
      }
      List<Result> out = new ArrayList<>();
      for (Future<Result> f : fs) {
        out.add(f.get());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KilnException("the sweep was interrupted");
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** One point: resolved, planned and simulated, or the reason it could not be. */
  public static Result point(Graph g, String target, Map<String, String> params) {
    HardwareDescription hw;
    Planner.Planned planned;
    try {
      hw = Targets.resolve(target);
      planned = Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
      List<String> errors = DeploymentChecker.check(planned.plan());
      if (!errors.isEmpty()) {
        return Result.failed(target, params, "the plan fails its check: " + errors.get(0));
      }
    } catch (KilnException e) {
      return Result.failed(target, params, e.getMessage());
    }
    Optional<Accelerator> dla = hw.accelerators().stream().filter(a -> a.kind() == Accelerator.Kind.NVDLA)
        .findFirst();
    DlaStats stats = new DlaStats(dla.map(Accelerator::peakMacsPerCycle).orElse(1L));
    CallModels models = dla.isPresent() ? DlaCallModel.models(stats) : CallModels.DEFAULT;
    Simulation s;
    try {
      s = Simulator.simulate(planned.plan(), planned.costs(), Simulator.CpuTiming.of(planned.costs()), models,
          inputs(planned.plan().graph()), true, "sweep");
    } catch (KilnException e) {
      return Result.failed(target, params, "simulation: " + e.getMessage());
    }
    Map<SubgraphKind, Long> kinds = new EnumMap<>(SubgraphKind.class);
    long host = 0;
    long macs = 0;
    long busy = 0;
    long peak = 1;
    for (Simulation.Layer l : s.layers()) {
      if (l.unit().equals(hw.cpu().name())) {
        host += l.cycles();
      } else {
        macs += l.macs();
        busy += l.computeCycles();
        peak = l.peakMacsPerCycle();
        if (dla.isEmpty()) {
          kinds.merge(kindOf(l.op()), l.cycles(), Long::sum);
        }
      }
    }
    if (dla.isPresent()) {
      for (SubgraphKind k : SubgraphKind.values()) {
        kinds.put(k, stats.cycles(k));
      }
    }
    double util = dla.isPresent() ? stats.utilization() : busy == 0 ? 0 : (double) macs / ((double) busy * peak);
    long sramUsed = planned.plan().localPeaks().values().stream().mapToLong(Long::longValue).max().orElse(0);
    long sramSize = hw.accelerators().stream().mapToLong(a -> hw.memory(a.l1()).map(m -> m.sizeBytes()).orElse(0L))
        .max().orElse(0);
    long data = 0;
    for (Step.AcceleratorCall c : planned.plan().calls()) {
      data += c.blob().map(r -> r.bytes()).orElse(0L);
    }
    return new Result(target, params, Optional.empty(), s.cycles(), host, kinds, util, sramUsed, sramSize,
        stats.streamBytes(), data, s.check().map(Simulation.Check::matched).orElse(false));
  }

  private static SubgraphKind kindOf(String op) {
    return switch (op) {
      case "Conv2D", "FullyConnected", "BatchMatMul" -> SubgraphKind.CONV;
      case "DepthwiseConv2D" -> SubgraphKind.DEPTH;
      case "MaxPool2D", "AveragePool2D" -> SubgraphKind.POOL;
      default -> SubgraphKind.ELTWISE;
    };
  }

  /** The same seeded inputs at every point, so points differ only in the hardware. */
  static List<Tensor> inputs(Graph g) {
    return io.kiln.sim.SeededInputs.of(g, 1);
  }

  /** A counter for progress lines. */
  public static final class Progress {
    private final AtomicInteger done = new AtomicInteger();
    private final int total;

    public Progress(int total) {
      this.total = total;
    }

    public int next() {
      return done.incrementAndGet();
    }

    public int total() {
      return total;
    }
  }
}
