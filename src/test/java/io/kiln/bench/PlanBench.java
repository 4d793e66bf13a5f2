package io.kiln.bench;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.passes.Pipeline;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.PlannedDispatch;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.dispatch.Ternarize;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.schedule.LayerPlanner;
import io.kiln.plan.schedule.NetworkSchedule;
import io.kiln.plan.schedule.PlanChecker;
import io.kiln.plan.schedule.PlanProbe;
import io.kiln.plan.schedule.Unit;
import io.kiln.plan.tiling.BranchAndBoundSolver;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Tiling;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import io.kiln.target.Targets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The planning benchmarks of issue 5 (run by {@code bench/plan.sh}, not a test): an L1-budget
 * sweep of real MLPerf Tiny conv layers on DIANA's digital accelerator with the tiling heuristics
 * on and off, and warm in-process planning time of the four models. Prints Markdown rows.
 */
public final class PlanBench {
  private static final Path MODELS = Path.of(System.getProperty("kiln.shared", "/work/shared"), "models",
      "mlperf-tiny");
  private static final Map<String, String> FILES = new LinkedHashMap<>();

  static {
    FILES.put("kws", "kws_ref_model.tflite");
    FILES.put("vww", "vww_96_int8.tflite");
    FILES.put("ic", "pretrainedResnet_quant.tflite");
    FILES.put("ad", "ad01_int8.tflite");
  }

  private static final int WARMUP = 3;
  private static final int RUNS = 10;

  public static void main(String[] args) throws Exception {
    for (String f : FILES.values()) {
      if (!Files.exists(MODELS.resolve(f))) {
        System.err.println("PlanBench: missing " + MODELS.resolve(f));
        System.exit(2);
      }
    }
    Map<String, Graph> graphs = new LinkedHashMap<>();
    FILES.forEach((k, f) -> graphs.put(k, Pipeline.DEFAULT.apply(TfliteImporter.load(MODELS.resolve(f)))));
    sweep(graphs);
    timing(graphs);
  }

  /** A representative layer: the model it comes from, a label, and how to recognize it. */
  private record Pick(String model, String label, Predicate<LayerShape> is) {}

  private static void sweep(Map<String, Graph> graphs) {
    List<Pick> picks = List.of(
        new Pick("kws", "kws conv 10x4 s2", s -> !s.depthwise() && s.fy() == 10 && s.fx() == 4),
        new Pick("ic", "ic conv 3x3 16->32 s2", s -> !s.depthwise() && s.fy() == 3 && s.c() == 16 && s.k() == 32),
        new Pick("vww", "vww pw 1x1", s -> !s.depthwise() && s.fy() == 1 && s.oy() >= 24),
        new Pick("vww", "vww dw 3x3 32 s2", s -> s.depthwise() && s.fy() == 3 && s.k() == 32 && s.strideY() == 2),
        new Pick("vww", "vww pw 1x1 128->256", s -> !s.depthwise() && s.fy() == 1 && s.c() == 128 && s.k() == 256));
    HardwareDescription diana = Targets.resolve("diana");
    BranchAndBoundSolver solver = new BranchAndBoundSolver();
    StringBuilder rows = new StringBuilder();
    int checked = 0;
    int worse = 0;
    int chosenWorse = 0;
    for (Pick pick : picks) {
      Graph g = graphs.get(pick.model());
      Node node = null;
      LayerShape shape = null;
      for (Node n : g.nodes()) {
        var s = PlanProbe.shape(g, n);
        if (s.isPresent() && pick.is().test(s.get())) {
          node = n;
          shape = s.get();
          break;
        }
      }
      if (node == null) {
        throw new IllegalStateException("no layer '" + pick.label() + "' in " + pick.model());
      }
      String geometry = String.format(Locale.ROOT, "%s (%dx%dx%d → %dx%dx%d)", pick.label(), shape.iy(), shape.ix(),
          shape.c(), shape.oy(), shape.ox(), shape.k());
      for (long l1 = 256 * 1024; l1 >= 16; l1 /= 2) {
        String kb = l1 >= 1024 ? l1 / 1024 + " kB" : l1 + " B";
        HardwareDescription hw = withL1(diana, l1);
        LayerPlanner planner = new LayerPlanner(hw, solver);
        var unit = new Unit.AcceleratorUnit(hw.accelerator("digital").orElseThrow());
        PlanProbe.Raw raw = PlanProbe.both(planner, solver, g, node, unit);
        if (!(raw.chosen() instanceof LayerPlan chosen)) {
          String reason = raw.chosen().toString();
          if (raw.chosen() instanceof io.kiln.plan.schedule.Unplannable u) {
            reason = u.reason();
          }
          rows.append(String.format(Locale.ROOT, "| %s | %s | infeasible: %s | | | | | | |%n", geometry, kb,
              reason.replace("|", "\\|")));
          break;
        }
        for (LayerPlan p : new LayerPlan[] {raw.withHeuristics(), raw.alphaOnly(), chosen}) {
          if (p == null) {
            continue;
          }
          List<String> errors = PlanChecker.check(p);
          if (!errors.isEmpty()) {
            throw new IllegalStateException(geometry + " at " + kb + ": checker: " + errors);
          }
          checked++;
        }
        LayerPlan on = raw.withHeuristics();
        LayerPlan off = raw.alphaOnly();
        long best = off == null ? on.totalCycles() : Math.min(on.totalCycles(), off.totalCycles());
        if (off != null && on.totalCycles() > off.totalCycles()) {
          worse++;
        }
        if (chosen.totalCycles() > best || (off != null && chosen.totalCycles() > off.totalCycles())) {
          chosenWorse++;
        }
        rows.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", geometry, kb,
            tiles(on), bytes(on.l1Bytes()), on.totalCycles(),
            off == null ? "infeasible" : tiles(off), off == null ? "" : bytes(off.l1Bytes()),
            off == null ? "" : Long.toString(off.totalCycles()),
            chosen.totalCycles() + (off != null && chosen.totalCycles() < on.totalCycles() ? " (α-only)" : "")));
      }
    }
    System.out.println("SWEEP_ROWS_BEGIN");
    System.out.print(rows);
    System.out.println("SWEEP_ROWS_END");
    System.out.printf(Locale.ROOT, "sweep_checked=%d%nsweep_heuristics_alone_worse=%d%nsweep_chosen_worse=%d%n",
        checked, worse, chosenWorse);
    if (chosenWorse > 0) {
      throw new IllegalStateException("the planner chose a plan slower than the α-only one");
    }
  }

  /** {@code hw} with its L1 memory (named {@code l1}) resized; everything else unchanged. */
  static HardwareDescription withL1(HardwareDescription hw, long bytes) {
    List<MemoryLevel> mems = new ArrayList<>();
    for (MemoryLevel m : hw.memories()) {
      mems.add(m.name().equals("l1")
          ? new MemoryLevel(m.name(), bytes, m.bandwidthBytesPerCycle(), m.latencyCycles(), m.energyPjPerByte(),
              m.writable(), m.readers())
          : m);
    }
    return new HardwareDescription(hw.name(), hw.description(), hw.clockHz(), mems, hw.dmas(), hw.cpu(),
        hw.accelerators());
  }

  private static String tiles(LayerPlan p) {
    Tiling t = p.tiling();
    return String.format(Locale.ROOT, "K%d C%d OY%d OX%d ×%d", t.tileK(), t.tileC(), t.tileOY(), t.tileOX(),
        p.calls().size());
  }

  private static String bytes(long b) {
    return String.format(Locale.ROOT, "%,d", b);
  }

  /** One planning run of a model: what {@code kiln plan} does between loading and printing. */
  private static int planOnce(Graph loaded, HardwareDescription hw, Policy policy, boolean ternarize) {
    Graph g = ternarize ? Ternarize.apply(loaded).graph() : loaded;
    PlannedDispatch pd = PlannedDispatch.of(g, hw, new Dispatcher.Options(policy, ternarize, null),
        new LayerPlanner(hw, new BranchAndBoundSolver()));
    DispatchResult d = pd.dispatch();
    List<LayerPlan> plans = new ArrayList<>(new java.util.TreeMap<>(pd.plans()).values());
    int onAccelerators = (int) plans.stream().filter(LayerPlan::tiled).count();
    NetworkSchedule.of(hw, d.graph(), plans);
    return onAccelerators;
  }

  private static void timing(Map<String, Graph> graphs) {
    record Config(String label, String target, Policy policy, boolean ternarize) {}
    List<Config> configs = List.of(new Config("diana, mixed, plan-time ternarize", "diana", Policy.MIXED, true),
        new Config("dla (default), policy first", "dla", Policy.FIRST, false));
    System.out.println("TIME_ROWS_BEGIN");
    for (Config c : configs) {
      HardwareDescription hw = Targets.resolve(c.target());
      Map<String, double[]> perModel = new LinkedHashMap<>();
      Map<String, Integer> layers = new LinkedHashMap<>();
      double[] totals = new double[RUNS];
      for (int run = -WARMUP; run < RUNS; run++) {
        double sum = 0;
        for (var e : graphs.entrySet()) {
          long t0 = System.nanoTime();
          int acc = planOnce(e.getValue(), hw, c.policy(), c.ternarize());
          double ms = (System.nanoTime() - t0) / 1e6;
          layers.put(e.getKey(), acc);
          sum += ms;
          if (run >= 0) {
            perModel.computeIfAbsent(e.getKey(), k -> new double[RUNS])[run] = ms;
          }
        }
        if (run >= 0) {
          totals[run] = sum;
        }
      }
      StringBuilder row = new StringBuilder("| " + c.label() + " |");
      for (var e : perModel.entrySet()) {
        row.append(String.format(Locale.ROOT, " %.1f (%d) |", median(e.getValue()), layers.get(e.getKey())));
      }
      double total = median(totals);
      row.append(String.format(Locale.ROOT, " **%.1f** | %s |", total, total < 2000 ? "yes" : "**no**"));
      System.out.println(row);
    }
    System.out.println("TIME_ROWS_END");
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
