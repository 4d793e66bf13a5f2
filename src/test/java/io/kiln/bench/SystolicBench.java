package io.kiln.bench;

import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.schedule.GemmTile;
import io.kiln.plan.schedule.SystolicEngine;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.report.Svg;
import io.kiln.sim.LayerSweep;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.plan.schedule.GemmTile;
import io.kiln.sim.systolic.NetworkShapes.Layer;
import io.kiln.sim.systolic.NetworkShapes;
import io.kiln.plan.schedule.SystolicEngine;
import io.kiln.target.HardwareDescription;
import io.kiln.target.SystolicParameters.Im2col;
import io.kiln.target.SystolicParameters;
import io.kiln.target.Targets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The experiments of issue 12 (not a test): explicit vs implicit im2col (memory and cycles, per
 * layer and network), the stride sweep, the multi-tile sweep and rule, the array-size and word
 * DSE, and the timing of a whole ResNet-50-shaped network at batch 8. Prints markdown tables
 * between TABLES_BEGIN and TABLES_END for bench/systolic.sh.
 */
public final class SystolicBench {
  static final double CLOCK = 700e6;
  static final String[] MODELS = {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"};

  private SystolicBench() {}

  static SystolicEngine engine(String spec) {
    return new SystolicEngine(SystolicParameters.parse(spec), 1000);
  }

  static SystolicEngine.Timing network(SystolicEngine e, List<Layer> layers, int batch, Im2col m) {
    SystolicEngine.Timing t = SystolicEngine.ZERO;
    for (Layer l : layers) {
      t = add(t, e.time(l.tile(batch), m));
    }
    return t;
  }

  static SystolicEngine.Timing add(SystolicEngine.Timing a, SystolicEngine.Timing b) {
    return new SystolicEngine.Timing(a.cycles() + b.cycles(), a.folds() + b.folds(),
        a.streamCycles() + b.streamCycles(), a.weightLoadCycles() + b.weightLoadCycles(),
        a.stallCycles() + b.stallCycles(), a.sramReads() + b.sramReads(),
        a.sramWrites() + b.sramWrites(), Math.max(a.workspaceBytes(), b.workspaceBytes()),
        a.offChipBytes() + b.offChipBytes(), a.offChipCycles() + b.offChipCycles(),
        a.macs() + b.macs(), Math.max(a.tiles(), b.tiles()));
  }

  public static void main(String[] args) throws Exception {
    StringBuilder out = new StringBuilder();
    mlperf(out);
    SystolicWeightsBench.table(out);
    crossCheck(out);
    explicitVsImplicit(out);
    strides(out);
    multiTile(out);
    dse(out);
    wholeNetworkTime(out);
    tilerChoices(out);
    System.out.println("TABLES_BEGIN");
    System.out.print(out);
    System.out.println("TABLES_END");
  }

  /** The MLPerf Tiny models planned on the default core, simulated under each im2col method. */
  static void mlperf(StringBuilder out) {
    Path shared = Path.of(System.getProperty("kiln.shared", "/work/shared"), "models", "mlperf-tiny");
    out.append("### MLPerf Tiny models (batch 1): `kiln simulate` under each im2col method\n\n");
    out.append("Each row is `Simulator.simulate` of the plan (what `kiln simulate MODEL --target T "
        + "--random-input 1` runs), every systolic job's sums computed by the engine's data flow for "
        + "T's im2col method and multi-tile setting (`SystolicDataFlow` on `FastFold`), and every "
        + "step's output checked byte for byte against the interpreter on the lowered graph. Array "
        + "cycles: the systolic unit's compute; folds: the folds the data flow ran (equal to the "
        + "engine's count); workspace: the largest on-chip im2col workspace of a job.\n\n");
    out.append("| model | target | outputs | total cycles | systolic compute cycles | folds | max workspace B |\n");
    out.append("|---|---|---|---:|---:|---:|---:|\n");
    for (String m : MODELS) {
      Graph g = Pipeline.DEFAULT.apply(ModelSource.load(shared.resolve(m + ".tflite").toString()));
      for (String t : new String[] {"systolic", "systolic:im2col=explicit", "systolic:im2col=channel_last",
          "systolic:rows=32,cols=16,tiles=2"}) {
        HardwareDescription hw = Targets.resolve(t);
        Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.named("first"), false, SolverKind.BNB));
        java.util.concurrent.atomic.AtomicLong folds = new java.util.concurrent.atomic.AtomicLong();
        io.kiln.sim.systolic.SystolicCallModel counted = new io.kiln.sim.systolic.SystolicCallModel(1,
            (rows, cols) -> new io.kiln.sim.systolic.CountingFold(
                new io.kiln.sim.systolic.FastFold(rows, cols), folds));
        Simulation s = Simulator.simulate(p.plan(), p.costs(), Simulator.CpuTiming.of(p.costs()),
            unit -> unit.kind() == io.kiln.target.Accelerator.Kind.SYSTOLIC ? counted
                : io.kiln.sim.CallModels.DEFAULT.forUnit(unit), LayerSweep.inputs(p.plan().graph(), 1), true, "first");
        long compute = 0;
        long workspace = 0;
        for (int i = 0; i < p.plan().steps().size(); i++) {
          if (p.plan().steps().get(i) instanceof Step.AcceleratorCall c) {
            compute += s.layers().get(i).computeCycles();
            SystolicEngine e = io.kiln.sim.systolic.SystolicCallModel.engine(hw, c);
            for (var j : c.jobs()) {
              workspace = Math.max(workspace, e.time(GemmTile.of(c.geometry().shape(), j, 1)).workspaceBytes());
            }
          }
        }
        boolean same = s.check().orElseThrow().firstMismatch().isEmpty();
        out.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %d | %d |%n", m, t,
            same ? "identical" : "DIFFER: " + s.check().orElseThrow().firstMismatch().orElseThrow(), s.cycles(),
            compute, folds.get(), workspace));
      }
    }
    out.append('\n');
  }

  /**
   * Plain GEMMs larger than the array in every dimension: the engine's closed form against the
   * cycles the stepped array observes and SCALE-Sim's weight-stationary count stated on its own.
   */
  static void crossCheck(StringBuilder out) {
    out.append("### Cross-check on plain GEMMs: closed form, cycle-stepped array, SCALE-Sim\n\n");
    out.append("K outputs x C reduction x T streamed vectors, word 8 (no port stalls). Engine: "
        + "`SystolicEngine`'s closed form, 2R + C + T - 2 per fold. Stepped: the cycles the "
        + "cycle-stepped `SystolicArray` observes, fold by fold, from the first weight shifted in to "
        + "the last valid partial sum leaving the array. SCALE-Sim: `ScaleSimWs`, the count of "
        + "SCALE-Sim v2's weight-stationary demand (R weight-fill rows + T + C - 1 drain, skewed by R - 1, "
        + "every fold padded to the whole array, folds not overlapped). Partial: folds whose block "
        + "does not fill the array.\n\n");
    out.append("| array | K x C x T | folds | partial | engine | SCALE-Sim | stepped | stepped / engine |\n");
    out.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
    int[][] cases = {{16, 16, 40, 50, 100}, {16, 16, 33, 17, 64}, {16, 16, 64, 64, 300}, {16, 16, 100, 90, 30},
        {32, 32, 100, 70, 500}, {32, 32, 96, 96, 200}, {32, 16, 50, 100, 1000}, {128, 128, 300, 200, 1000},
        {128, 128, 256, 384, 3136}};
    java.util.Random r = new java.util.Random(12);
    for (int[] g : cases) {
      int rows = g[0];
      int cols = g[1];
      int k = g[2];
      int c = g[3];
      int t = g[4];
      byte[][] a = new byte[t][c];
      byte[][] w = new byte[c][k];
      for (byte[] row : a) {
        r.nextBytes(row);
      }
      for (byte[] row : w) {
        r.nextBytes(row);
      }
      io.kiln.sim.systolic.SystolicArray array = new io.kiln.sim.systolic.SystolicArray(rows, cols);
      array.gemm(a, w);
      long engine = engine("rows=" + rows + ",cols=" + cols + ",word=8").time(GemmTile.gemm(k, c, t)).cycles();
      long scale = io.kiln.sim.systolic.ScaleSimWs.cycles(rows, cols, c, k, t);
      long folds = (long) ((c + rows - 1) / rows) * ((k + cols - 1) / cols);
      long full = (long) (c / rows) * (k / cols);
      out.append(String.format(Locale.ROOT, "| %dx%d | %d x %d x %d | %d | %d | %d | %d | %d | %.3f |%n", rows, cols,
          k, c, t, folds, folds - full, engine, scale, array.cycles(), (double) array.cycles() / engine));
    }
    out.append('\n');
  }

  static void explicitVsImplicit(StringBuilder out) {
    SystolicEngine e = engine("rows=128");
    out.append("### Explicit vs implicit im2col on the ResNet-50-shaped network (128x128, word 8, batch 8)\n\n");
    out.append("Workspace: on-chip bytes the layer's im2col needs (implicit: the input, once per "
        + "multi-tile copy; a batch whose inputs exceed the SRAM streams in groups of images, and the "
        + "largest group's is shown; explicit: the lowered "
        + "matrix, built off-chip and brought in by DMA, held on chip up to the 32 MiB SRAM and "
        + "streamed beyond it).\n\n");
    out.append("| layer | W_I,C_I,C_O,W_F/s | implicit B | explicit B | implicit cycles | explicit cycles | explicit off-chip B |\n");
    out.append("|---|---|---:|---:|---:|---:|---:|\n");
    List<Layer> net = NetworkShapes.resnet50();
    for (Layer l : net) {
      if (!(l.name().startsWith("conv1") || l.name().endsWith("_1/3x3") || l.name().endsWith("_1/1x1a")
          || l.name().equals("fc"))) {
        continue;
      }
      SystolicEngine.Timing i = e.time(l.tile(8), Im2col.IMPLICIT);
      SystolicEngine.Timing x = e.time(l.tile(8), Im2col.EXPLICIT);
      out.append(String.format(Locale.ROOT, "| %s | %d,%d,%d,%d/%d | %d | %d | %d | %d | %d |%n",
          l.name(), l.wi(), l.c(), l.k(), l.wf(), l.stride(), i.workspaceBytes(),
          x.workspaceBytes(), i.cycles(), x.cycles(), x.offChipBytes()));
    }
    out.append("\n| network (batch 8) | implicit max B | explicit max B | implicit cycles | explicit cycles | explicit / implicit |\n");
    out.append("|---|---:|---:|---:|---:|---:|\n");
    for (var n : List.of(List.of("ResNet-50", NetworkShapes.resnet50()), List.of("VGG-16", NetworkShapes.vgg16()))) {
      @SuppressWarnings("unchecked")
      List<Layer> layers = (List<Layer>) n.get(1);
      SystolicEngine.Timing i = network(e, layers, 8, Im2col.IMPLICIT);
      SystolicEngine.Timing x = network(e, layers, 8, Im2col.EXPLICIT);
      out.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %.2f |%n", n.get(0),
          i.workspaceBytes(), x.workspaceBytes(), i.cycles(), x.cycles(),
          (double) x.cycles() / i.cycles()));
    }
    out.append('\n');
  }

  static void strides(StringBuilder out) {
    SystolicEngine e = engine("rows=128");
    out.append("### Stride sweep (128x128, word 8, batch 8): throughput in MACs per cycle\n\n");
    out.append("Bare GEMM: the same M x K x N GEMM (T = output positions, reduction C_I·W_F²) with "
        + "no im2col at all.\n\n");
    out.append("| W_I, C_I, C_O, W_F | stride | channel-first implicit | channel-last implicit | bare GEMM | channel-last stalls |\n");
    out.append("|---|---:|---:|---:|---:|---:|\n");
    int[][] layers = {{56, 64, 64, 3}, {56, 256, 128, 1}, {28, 128, 128, 3}, {14, 256, 256, 3}, {112, 64, 64, 1}};
    for (int[] l : layers) {
      for (int s : new int[] {1, 2, 4}) {
        GemmTile g = GemmTile.conv(l[0], l[1], l[2], l[3], s, 8);
        SystolicEngine.Timing cf = e.time(g, Im2col.IMPLICIT);
        SystolicEngine.Timing cl = e.time(g, Im2col.CHANNEL_LAST);
        SystolicEngine.Timing bare = e.time(GemmTile.gemm(l[2], l[1] * l[3] * l[3], g.streamed()));
        out.append(String.format(Locale.ROOT, "| %d, %d, %d, %d | %d | %.0f | %.0f | %.0f | %d |%n",
            l[0], l[1], l[2], l[3], s, perCycle(cf), perCycle(cl), perCycle(bare), cl.stallCycles()));
      }
    }
    out.append('\n');
  }

  static double perCycle(SystolicEngine.Timing t) {
    return (double) t.macs() / t.cycles();
  }

  static void multiTile(StringBuilder out) {
    out.append("### Multi-tile: N=8, C_I=8, W_I=C_O=128, W_F=3 (128x128, word 8)\n\n");
    out.append("| tiles | rows used | folds | workspace B | cycles | MACs/cycle | utilization |\n");
    out.append("|---:|---:|---:|---:|---:|---:|---:|\n");
    GemmTile g = GemmTile.conv(128, 8, 128, 3, 1, 8);
    for (int n = 1; n <= 8; n++) {
      SystolicEngine e = engine("tiles=" + n);
      SystolicEngine.Timing t = e.time(g);
      out.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d | %.0f | %.1f%% |%n", n, 8 * n,
          t.folds(), t.workspaceBytes(), t.cycles(), perCycle(t), 100 * t.utilization(e.parameters())));
    }
    out.append("\nThe default rule `min(rows / C_I, W_F)` against the best N in 1..min(rows / C_I, W_F²) "
        + "(W_I = C_O = 128, batch 8):\n\n");
    out.append("| C_I | W_F | default N | default cycles | best N | best cycles | default / best | default workspace B | best workspace B |\n");
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int c : new int[] {3, 8, 16, 32, 64}) {
      for (int f : new int[] {1, 3, 5, 7}) {
        GemmTile g2 = GemmTile.conv(128, c, 128, f, 1, 8);
        SystolicEngine.Timing d = engine("tiles=auto").time(g2);
        int bestN = 1;
        SystolicEngine.Timing best = null;
        int max = Math.max(1, Math.min(128 / c, f * f));
        for (int n = 1; n <= max; n++) {
          SystolicEngine.Timing t = engine("tiles=" + n).time(g2);
          if (best == null || t.cycles() < best.cycles()) {
            best = t;
            bestN = n;
          }
        }
        out.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d | %d | %.2f | %d | %d |%n", c, f,
            d.tiles(), d.cycles(), bestN, best.cycles(), (double) d.cycles() / best.cycles(),
            d.workspaceBytes(), best.workspaceBytes()));
      }
    }
    out.append('\n');
  }

  static void dse(StringBuilder out) throws java.io.IOException {
    out.append("### Design-space exploration (batch 8, implicit channel-first, 32 MiB SRAM)\n\n");
    out.append("Array size (square, word 8): throughput in images per second at 700 MHz and MAC utilization.\n\n");
    out.append("| network | array | cycles | images/s | utilization | chart (images/s) |\n");
    out.append("|---|---|---:|---:|---:|---|\n");
    List<String> arrays = new java.util.ArrayList<>();
    List<Svg.Series> throughput = new java.util.ArrayList<>();
    List<Svg.Series> utilization = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      arrays.add((32 << i) + "x" + (32 << i));
    }
    for (var n : List.of(List.of("VGG-16", NetworkShapes.vgg16()), List.of("ResNet-50", NetworkShapes.resnet50()))) {
      @SuppressWarnings("unchecked")
      List<Layer> layers = (List<Layer>) n.get(1);
      double top = 0;
      double[] ips = new double[5];
      SystolicEngine.Timing[] ts = new SystolicEngine.Timing[5];
      SystolicParameters[] ps = new SystolicParameters[5];
      for (int i = 0; i < 5; i++) {
        int a = 32 << i;
        SystolicEngine e = engine("rows=" + a + ",cols=" + a);
        ps[i] = e.parameters();
        ts[i] = network(e, layers, 8, Im2col.IMPLICIT);
        ips[i] = 8 * CLOCK / ts[i].cycles();
        top = Math.max(top, ips[i]);
      }
      List<Double> util = new java.util.ArrayList<>();
      for (int i = 0; i < 5; i++) {
        int a = 32 << i;
        out.append(String.format(Locale.ROOT, "| %s | %dx%d | %d | %.0f | %.1f%% | `%s` |%n", n.get(0), a, a,
            ts[i].cycles(), ips[i], 100 * ts[i].utilization(ps[i]), bar(ips[i] / top)));
        util.add(100 * ts[i].utilization(ps[i]));
      }
      throughput.add(new Svg.Series((String) n.get(0), java.util.Arrays.stream(ips).boxed().toList()));
      utilization.add(new Svg.Series((String) n.get(0), util));
    }
    chart(out, "dse-array-throughput.svg", Svg.lines("Throughput against array size (batch 8, word 8, 32 MiB SRAM)",
        "array (rows x cols)", "images/s at 700 MHz", arrays, throughput, true, ""));
    chart(out, "dse-array-utilization.svg", Svg.lines("MAC utilization against array size (batch 8)",
        "array (rows x cols)", "utilization", arrays, utilization, false, "%"));
    out.append("\nSRAM word size (128x128): the bandwidth idle ratio is the share of SRAM port cycles "
        + "with neither a read nor a write; stalls are cycles the array waits for its ports.\n\n");
    out.append("| network | word | cycles | stall cycles | port idle | chart (port idle) |\n");
    out.append("|---|---:|---:|---:|---:|---|\n");
    List<String> words = new java.util.ArrayList<>();
    List<Svg.Series> idle = new java.util.ArrayList<>();
    List<Svg.Series> slowdown = new java.util.ArrayList<>();
    for (int w = 1; w <= 32; w *= 2) {
      words.add(String.valueOf(w));
    }
    for (var n : List.of(List.of("VGG-16", NetworkShapes.vgg16()), List.of("ResNet-50", NetworkShapes.resnet50()))) {
      @SuppressWarnings("unchecked")
      List<Layer> layers = (List<Layer>) n.get(1);
      List<Double> idles = new java.util.ArrayList<>();
      List<Double> stalls = new java.util.ArrayList<>();
      for (int w = 1; w <= 32; w *= 2) {
        SystolicEngine.Timing t = network(engine("word=" + w), layers, 8, Im2col.IMPLICIT);
        out.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.1f%% | `%s` |%n", n.get(0), w,
            t.cycles(), t.stallCycles(), 100 * t.portIdle(), bar(t.portIdle())));
        idles.add(100 * t.portIdle());
        stalls.add(100.0 * t.stallCycles() / (t.cycles() - t.stallCycles()));
      }
      idle.add(new Svg.Series((String) n.get(0) + " port idle", idles));
      slowdown.add(new Svg.Series((String) n.get(0) + " stalls", stalls));
    }
    List<Svg.Series> words2 = new java.util.ArrayList<>(idle);
    words2.addAll(slowdown);
    chart(out, "dse-word-idle.svg", Svg.lines("SRAM word size (128x128, batch 8): bandwidth idle ratio and stalls",
        "elements per SRAM word", "port idle; stall cycles / stall-free cycles", words, words2, false, "%"));
    out.append('\n');
  }

  static void wholeNetworkTime(StringBuilder out) {
    SystolicEngine e = engine("rows=128");
    List<Layer> net = NetworkShapes.resnet50();
    network(e, net, 8, Im2col.IMPLICIT);
    long[] ns = new long[5];
    SystolicEngine.Timing t = null;
    for (int i = 0; i < ns.length; i++) {
      long start = System.nanoTime();
      t = network(e, net, 8, Im2col.IMPLICIT);
      ns[i] = System.nanoTime() - start;
    }
    java.util.Arrays.sort(ns);
    long startStepped = System.nanoTime();
    // The cycle-stepped array on the first fold of conv2_1/3x3 (a 128x128 fold of T = 56*56 vectors).
    io.kiln.sim.systolic.SystolicArray array = new io.kiln.sim.systolic.SystolicArray(128, 128);
    byte[][] a = new byte[56 * 56][128];
    byte[][] w = new byte[128][128];
    int[][] acc = new int[a.length][128];
    array.fold(a, w, 0, 0, acc);
    long stepped = System.nanoTime() - startStepped;
    io.kiln.sim.systolic.FastFold fast = new io.kiln.sim.systolic.FastFold(128, 128);
    java.util.Random rnd = new java.util.Random(1);
    for (byte[] row : a) {
      rnd.nextBytes(row);
    }
    for (byte[] row : w) {
      rnd.nextBytes(row);
    }
    long[] fastNs = new long[5];
    for (int i = 0; i < fastNs.length + 2; i++) {
      long start = System.nanoTime();
      fast.fold(a, w, 0, 0, acc);
      if (i >= 2) {
        fastNs[i - 2] = System.nanoTime() - start;
      }
    }
    java.util.Arrays.sort(fastNs);
    out.append("### Timing a whole ResNet-50-shaped network at batch 8\n\n");
    out.append(String.format(Locale.ROOT, "The engine times all %d GEMM layers (%d folds, %d cycles = "
        + "%.2f ms at 700 MHz) in a median of %.3f ms of wall time (5 runs after a warm-up). For "
        + "scale, the cycle-stepped functional array (`SystolicArray`) steps one 128x128 fold of "
        + "%d vectors (%d cycles) in %.0f ms; the fast fold (`FastFold`, the same int32 sums, which "
        + "the functional simulation uses) computes that fold on random operands in a median of %.1f ms "
        + "(%.2f GMAC/s).%n%n", net.size(), t.folds(), t.cycles(),
        t.cycles() / CLOCK * 1e3, ns[2] / 1e6, a.length, array.cycles(), stepped / 1e6, fastNs[2] / 1e6,
        (double) a.length * 128 * 128 / fastNs[2]));
  }

  /** Representative layers of ResNet-50: name, C_I, C_O, W_F, stride, W_I. */
  static final Object[][] TILER_LAYERS = {
      {"conv1", 3, 64, 7, 2, 224}, {"conv2_1/3x3", 64, 64, 3, 1, 56}, {"conv3_1/3x3", 128, 128, 3, 2, 56},
      {"conv4_1/1x1b", 256, 1024, 1, 1, 14}, {"conv5_1/3x3", 512, 512, 3, 2, 14}, {"fc", 2048, 1000, 1, 1, 1}};

  /**
   * What the systolic tiler chose for representative layers of the built-in ResNet-50 (batch 1),
   * implicit vs explicit, on the default 32 MiB SRAM and on 1 MiB.
   */
  static void tilerChoices(StringBuilder out) {
    Graph g = ModelSource.load("builtin:resnet50");
    out.append("### The systolic tiler's choices on ResNet-50 layers (builtin:resnet50, batch 1)\n\n");
    out.append("`io.kiln.plan.schedule.SystolicTiler` through `Planner.plan` (what `kiln plan builtin:resnet50 "
        + "--target T` prints per layer). Tile: K x C x OY x OX; N: decomposed-filter tiles side by side on "
        + "the rows; workspace: the engine's im2col workspace of the largest job; SRAM: what the plan reserves "
        + "(double-buffered input, weights, outputs, parameters and the workspace); compute: the engine's "
        + "cycles of the layer's jobs plus call overheads; layer: with the DMA the schedule does not hide.\n\n");
    out.append("| layer (C_I, C_O, W_F/s, W_I) | target | tile | tiles | N | workspace B | SRAM B | compute cycles "
        + "| layer cycles |\n");
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (String t : new String[] {"systolic", "systolic:im2col=explicit", "systolic:sram=1MiB",
        "systolic:sram=1MiB,im2col=explicit"}) {
      HardwareDescription hw = Targets.resolve(t);
      Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.named("first"), false, SolverKind.BNB));
      for (Object[] want : TILER_LAYERS) {
        for (Step s : p.plan().steps()) {
          if (!(s instanceof Step.AcceleratorCall c)) {
            continue;
          }
          io.kiln.plan.tiling.LayerShape l = c.geometry().shape();
          if (l.c() != (int) want[1] || l.k() != (int) want[2] || l.fx() != (int) want[3]
              || l.strideX() != (int) want[4] || l.ix() != (int) want[5]) {
            continue;
          }
          var lp = p.costs().layerPlan(p.plan(), s);
          var tiling = lp.tiling();
          SystolicEngine e = SystolicEngine.of(hw, c.unit());
          long workspace = 0;
          int n = 1;
          for (var j : c.jobs()) {
            SystolicEngine.Timing jt = e.time(GemmTile.of(l, j, 1));
            workspace = Math.max(workspace, jt.workspaceBytes());
            n = Math.max(n, jt.tiles());
          }
          out.append(String.format(Locale.ROOT, "| %s (%d, %d, %d/%d, %d) | %s | %dx%dx%dx%d | %d | %d | %d | %d | %d | %d |%n",
              want[0], l.c(), l.k(), l.fx(), l.strideX(), l.ix(), t, tiling.tileK(), tiling.tileC(), tiling.tileOY(),
              tiling.tileOX(), c.jobs().size(), n, workspace, lp.l1Bytes(), lp.computeCycles(), lp.totalCycles()));
          break;
        }
      }
    }
    out.append('\n');
  }

  /**
   * Writes {@code svg} to {@code name} in the directory of {@code -Dkiln.svg.dir} (bench/systolic.sh:
   * bench/systolic) and links it from the section; without the property, nothing.
   */
  static void chart(StringBuilder out, String name, String svg) throws java.io.IOException {
    String dir = System.getProperty("kiln.svg.dir");
    if (dir == null) {
      return;
    }
    java.nio.file.Files.writeString(Path.of(dir, name), svg);
    out.append("\n![").append(name.replace(".svg", "")).append("](bench/systolic/").append(name).append(")\n");
  }

  static String bar(double fraction) {
    int n = (int) Math.round(Math.max(0, Math.min(1, fraction)) * 30);
    return "#".repeat(n) + ".".repeat(30 - n);
  }
}
