package io.kiln.bench;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.passes.Pipeline;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.PlannedDispatch;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.lower.Ternarize;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.schedule.LayerPlanner;
import io.kiln.plan.schedule.NetworkSchedule;
import io.kiln.plan.schedule.PlanChecker;
import io.kiln.plan.schedule.PlanProbe;
import io.kiln.plan.schedule.Unit;
import io.kiln.plan.schedule.WeightPlacementChecker;
import io.kiln.plan.tiling.BranchAndBoundSolver;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.plan.tiling.TileProblem;
import io.kiln.plan.tiling.Tiling;
import io.kiln.plan.tiling.TilingResult;
import io.kiln.plan.tiling.TilingSolver;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.TestTargets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The planning benchmarks of issue 5 (run by {@code bench/plan.sh}, not a test): an L1-budget
 * sweep of real MLPerf Tiny conv layers on DIANA's digital accelerator with the tiling heuristics
 * on and off, each tiling solver's time on the problems that sweep poses, and warm in-process
 * planning time of the four models with branch and bound and with CP-SAT. Prints Markdown rows.
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
  private static final int SOLVE_REPEATS = 5;

  public static void main(String[] args) throws Exception {
    for (String f : FILES.values()) {
      if (!Files.exists(MODELS.resolve(f))) {
        System.err.println("PlanBench: missing " + MODELS.resolve(f));
        System.exit(2);
      }
    }
    Map<String, Graph> graphs = new LinkedHashMap<>();
    FILES.forEach((k, f) -> graphs.put(k, Pipeline.DEFAULT.apply(TfliteImporter.load(MODELS.resolve(f)))));
    long t0 = System.nanoTime();
    SolverKind.CPSAT.create();
    System.out.printf(Locale.ROOT, "cpsat_load_ms=%.0f%n", (System.nanoTime() - t0) / 1e6);
    List<TileProblem> posed = sweep(graphs);
    perSolve(posed);
    timing(graphs);
    matrix(graphs);
  }

  /** A representative layer: the model it comes from, a label, and how to recognize it. */
  private record Pick(String model, String label, Predicate<LayerShape> is) {}

  /** Prints the sweep's rows; returns every distinct tiling problem the planner posed in it. */
  private static List<TileProblem> sweep(Map<String, Graph> graphs) {
    List<Pick> picks = List.of(
        new Pick("kws", "kws conv 10x4 s2", s -> !s.depthwise() && s.fy() == 10 && s.fx() == 4),
        new Pick("ic", "ic conv 3x3 16->32 s2", s -> !s.depthwise() && s.fy() == 3 && s.c() == 16 && s.k() == 32),
        new Pick("vww", "vww pw 1x1", s -> !s.depthwise() && s.fy() == 1 && s.oy() >= 24),
        new Pick("vww", "vww dw 3x3 32 s2", s -> s.depthwise() && s.fy() == 3 && s.k() == 32 && s.strideY() == 2),
        new Pick("vww", "vww pw 1x1 128->256", s -> !s.depthwise() && s.fy() == 1 && s.c() == 128 && s.k() == 256));
    HardwareDescription diana = Targets.resolve("diana");
    TilingSolver bnb = new BranchAndBoundSolver();
    Set<TileProblem> posed = new LinkedHashSet<>();
    TilingSolver solver = p -> {
      posed.add(p);
      return bnb.solve(p);
    };
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
        HardwareDescription hw = TestTargets.withMemory(diana, "l1", l1);
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
    return new ArrayList<>(posed);
  }

  /**
   * Each solver on each problem of the sweep: the median of {@value #SOLVE_REPEATS} solves after
   * one unmeasured pass over all problems. Fails if two solvers reach different objectives.
   */
  private static void perSolve(List<TileProblem> problems) {
    System.out.println("SOLVE_ROWS_BEGIN");
    Map<SolverKind, double[]> micros = new LinkedHashMap<>();
    Map<SolverKind, TilingSolver> solvers = new LinkedHashMap<>();
    for (SolverKind k : SolverKind.values()) {
      solvers.put(k, k.create());
      problems.forEach(solvers.get(k)::solve);
      micros.put(k, new double[problems.size()]);
    }
    int tiled = 0;
    int infeasible = 0;
    for (int i = 0; i < problems.size(); i++) {
      TileProblem p = problems.get(i);
      TilingResult reference = null;
      for (var e : solvers.entrySet()) {
        double[] times = new double[SOLVE_REPEATS];
        TilingResult r = null;
        for (int rep = 0; rep < SOLVE_REPEATS; rep++) {
          long t0 = System.nanoTime();
          r = e.getValue().solve(p);
          times[rep] = (System.nanoTime() - t0) / 1e3;
        }
        micros.get(e.getKey())[i] = median(times);
        if (reference == null) {
          reference = r;
        } else if (!sameOutcome(reference, r)) {
          throw new IllegalStateException(e.getKey().cliName() + " disagrees on " + p + ": " + r + " vs " + reference);
        }
      }
      if (reference instanceof TilingResult.Solved s && s.tiling().tileCount(p.layer().depthwise()) > 1) {
        tiled++;
      } else if (reference instanceof TilingResult.Infeasible) {
        infeasible++;
      }
    }
    for (var e : micros.entrySet()) {
      double[] t = e.getValue();
      double[] sorted = t.clone();
      Arrays.sort(sorted);
      System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.1f |%n", e.getKey().cliName(), median(t),
          sorted[(int) Math.ceil(0.9 * sorted.length) - 1], sorted[sorted.length - 1], Arrays.stream(t).sum() / 1e3);
    }
    System.out.println("SOLVE_ROWS_END");
    System.out.printf(Locale.ROOT, "solve_problems=%d%nsolve_tiled=%d%nsolve_infeasible=%d%n", problems.size(), tiled,
        infeasible);
  }

  private static boolean sameOutcome(TilingResult a, TilingResult b) {
    return switch (a) {
      case TilingResult.Solved s -> b instanceof TilingResult.Solved t
          && s.tiling().objective() == t.tiling().objective();
      case TilingResult.Infeasible i -> i.equals(b);
    };
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
  private static int planOnce(Graph loaded, HardwareDescription hw, Policy policy, boolean ternarize,
      TilingSolver solver) {
    Graph g = ternarize ? Ternarize.apply(loaded).graph() : loaded;
    PlannedDispatch pd = PlannedDispatch.of(g, hw, new Dispatcher.Options(policy, ternarize, null),
        new LayerPlanner(hw, solver));
    return (int) pd.schedule(hw).layers().stream().filter(LayerPlan::tiled).count();
  }

  /**
   * What {@code kiln plan} reports for the four models on each configuration the issue asks
   * for: layers per unit, estimated cycles and latency, MAC utilization over the accelerator
   * layers, the L2 arena and where the weights went. Every layer plan is re-checked.
   */
  private static void matrix(Map<String, Graph> graphs) {
    record Config(String target, Policy policy, boolean ternarize) {
      String label() {
        return "`" + target + "` " + policy.cliName() + (ternarize ? ", `--ternarize`" : "");
      }
    }
    List<Config> configs = List.of(new Config("cpu", Policy.FIRST, false),
        new Config("diana", Policy.DIGITAL, false), new Config("diana", Policy.DIGITAL, true),
        new Config("diana", Policy.ANALOG, true), new Config("diana", Policy.MIXED, true),
        new Config("dla", Policy.FIRST, false), new Config("dla:pe=128,sram=256MiB,par=output", Policy.FIRST, false),
        new Config("dla:pe=128,sram=1MiB,par=input", Policy.FIRST, false),
        new Config("dla:pe=64,sram=256MiB,par=input,dw=native", Policy.FIRST, false),
        new Config("dla:pe=128,sram=512KiB,dw=unsupported", Policy.LOWEST_CYCLES, false));
    System.out.println("MATRIX_ROWS_BEGIN");
    for (Config c : configs) {
      HardwareDescription hw = Targets.resolve(c.target());
      for (var e : graphs.entrySet()) {
        Graph g = c.ternarize() ? Ternarize.apply(e.getValue()).graph() : e.getValue();
        PlannedDispatch pd = PlannedDispatch.of(g, hw, new Dispatcher.Options(c.policy(), c.ternarize(), null),
            new LayerPlanner(hw, new BranchAndBoundSolver()));
        NetworkSchedule ns = pd.schedule(hw);
        List<String> placement = WeightPlacementChecker.check(hw, ns);
        if (!placement.isEmpty()) {
          throw new IllegalStateException(e.getKey() + " on " + c.target() + ": " + placement);
        }
        long macs = 0;
        double busy = 0;
        Map<String, Integer> units = new java.util.TreeMap<>();
        for (LayerPlan p : ns.layers()) {
          List<String> errors = PlanChecker.check(p);
          if (!errors.isEmpty()) {
            throw new IllegalStateException(e.getKey() + " on " + c.target() + ": " + errors);
          }
          units.merge(p.unit().name(), 1, Integer::sum);
          if (p.tiled()) {
            macs += p.macs();
            busy += p.macs() / Math.max(p.macUtilization(), 1e-12);
          }
        }
        long fused = pd.dispatch().layers().stream().filter(l -> l.fused()).count();
        String util = macs == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * macs / busy);
        System.out.printf(Locale.ROOT, "| %s | %s | %s%s | %,d | %.3f | %s | %s | %s |%n", c.label(), e.getKey(),
            units, fused == 0 ? "" : " (+" + fused + " fused)", ns.totalCycles(), 1000 * ns.latencySeconds(), util,
            bytes(ns.arenaBytes()), ns.weightBytesByMemory().entrySet().stream()
                .map(w -> w.getKey() + " " + bytes(w.getValue())).collect(java.util.stream.Collectors.joining(", ")));
      }
    }
    System.out.println("MATRIX_ROWS_END");
  }

  /**
   * Planning time of the four models per configuration and solver. The solvers of one
   * configuration take turns within each run, so that both see the same machine load.
   */
  private static void timing(Map<String, Graph> graphs) {
    record Config(String label, HardwareDescription hw, Policy policy, boolean ternarize) {}
    HardwareDescription diana = Targets.resolve("diana");
    List<Config> configs = List.of(new Config("diana, mixed, plan-time ternarize", diana, Policy.MIXED, true),
        new Config("diana with L1 32 kB, mixed, plan-time ternarize",
            TestTargets.withMemory(diana, "l1", 32 * 1024), Policy.MIXED, true),
        new Config("dla (default), policy first", Targets.resolve("dla"), Policy.FIRST, false));
    List<SolverKind> kinds = List.of(SolverKind.BNB, SolverKind.CPSAT);
    System.out.println("TIME_ROWS_BEGIN");
    for (Config c : configs) {
      Map<SolverKind, TilingSolver> solvers = new LinkedHashMap<>();
      kinds.forEach(k -> solvers.put(k, k.create()));
      Map<SolverKind, Map<String, double[]>> perModel = new LinkedHashMap<>();
      Map<SolverKind, double[]> totals = new LinkedHashMap<>();
      Map<String, Integer> layers = new LinkedHashMap<>();
      for (int run = -WARMUP; run < RUNS; run++) {
        for (SolverKind k : kinds) {
          double sum = 0;
          for (var e : graphs.entrySet()) {
            long t0 = System.nanoTime();
            int acc = planOnce(e.getValue(), c.hw(), c.policy(), c.ternarize(), solvers.get(k));
            double ms = (System.nanoTime() - t0) / 1e6;
            layers.put(e.getKey(), acc);
            sum += ms;
            if (run >= 0) {
              perModel.computeIfAbsent(k, x -> new LinkedHashMap<>())
                  .computeIfAbsent(e.getKey(), x -> new double[RUNS])[run] = ms;
            }
          }
          if (run >= 0) {
            totals.computeIfAbsent(k, x -> new double[RUNS])[run] = sum;
          }
        }
      }
      for (SolverKind k : kinds) {
        StringBuilder row = new StringBuilder("| " + c.label() + " | " + k.cliName() + " |");
        for (var e : perModel.get(k).entrySet()) {
          row.append(String.format(Locale.ROOT, " %.1f (%d) |", median(e.getValue()), layers.get(e.getKey())));
        }
        double total = median(totals.get(k));
        row.append(String.format(Locale.ROOT, " **%.1f** | %s |", total, total < 2000 ? "yes" : "**no**"));
        System.out.println(row);
      }
    }
    System.out.println("TIME_ROWS_END");
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
