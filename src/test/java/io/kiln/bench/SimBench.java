package io.kiln.bench;

import io.kiln.codegen.DeploymentCodegen;
import io.kiln.codegen.GeneratedFiles;
import io.kiln.report.ObjectSizer;
import io.kiln.report.ObjectSizes;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.quantize.MlperfPtq;
import io.kiln.sim.LayerSweep;
import io.kiln.sim.Pow2Models;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The simulator's benchmarks (issue 10; not a test): DIANA's four configurations on the MLPerf
 * Tiny models, simulated against analytic cycles per layer on diana and dla, single-layer sweeps
 * of DIANA's arrays against their published behaviour, and the simulator's own speed. Each table
 * is printed between {@code BEGIN name} and {@code END name} lines for bench/simulate.sh.
 */
public final class SimBench {
  private SimBench() {}

  static final String[] INT8 = {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"};
  static final MlperfPtq.Case[] POW2 = {MlperfPtq.KWS, MlperfPtq.VWW, MlperfPtq.RESNET, MlperfPtq.AD};
  static final String[] DLA = {"dla", "dla:pe=128,sram=1MiB,par=input,dw=native",
      "dla:pe=64,sram=512KiB,par=output,dw=emulated", "dla:pe=128,sram=256MiB,par=input,dw=unsupported"};
  static Path shared;

  public static void main(String[] args) throws Exception {
    shared = Path.of(System.getProperty("kiln.shared", "/work/shared"), "models");
    List<String> only = List.of(args);
    if (only.isEmpty() || only.contains("configurations")) {
      configurations();
    }
    if (only.isEmpty() || only.contains("layers")) {
      perLayer();
    }
    if (only.isEmpty() || only.contains("sweeps")) {
      sweeps();
    }
    if (only.isEmpty() || only.contains("speed")) {
      speed();
    }
  }

  static Simulation simulate(Planner.Planned p, List<Tensor> inputs) {
    return Simulator.simulate(p.plan(), p.costs(), Simulator.CpuTiming.calibrated(p.plan().hardware()), inputs, true, "bench");
  }

  static Planner.Planned plan(Graph g, HardwareDescription hw, Policy p, boolean ternarize) {
    return Planner.plan(g, hw, new Planner.Options(p, ternarize, SolverKind.BNB));
  }

  /** The rand16 samples of a published int8 model, as inputs of {@code g} (same shape, raw bytes). */
  static List<List<Tensor>> rand16(String published, Graph g) throws Exception {
    byte[] all = Files.readAllBytes(shared.resolve("reference-outputs").resolve(published).resolve("rand16.in.bin"));
    Value in = g.inputValues().get(0);
    int n = (int) in.type().bytes();
    List<List<Tensor>> out = new ArrayList<>();
    for (int s = 0; s + n <= all.length; s += n) {
      out.add(List.of(Tensor.fromBytes(in.dtype(), in.shape(), Arrays.copyOfRange(all, s, s + n))));
    }
    return out;
  }

  static int argmax(Tensor t) {
    int best = 0;
    for (int i = 1; i < t.ints.length; i++) {
      if (t.ints[i] > t.ints[best]) {
        best = i;
      }
    }
    return best;
  }

  /** DIANA as a CPU-only SoC: the same host and memories, no accelerator. */
  static HardwareDescription cpuOnly(HardwareDescription hw) {
    return new HardwareDescription(hw.name() + "-cpu", hw.description(), hw.clockHz(), hw.memories(), hw.dmas(),
        hw.cpu(), List.of());
  }

  static void configurations() throws Exception {
    System.out.println("BEGIN configurations");
    System.out.println("| model | configuration | latency ms @260 MHz | cycles | digital busy | analog busy | host busy"
        + " | .text B | .rodata+.data B | .bss B | top-1 = int8 (rand16) | outputs = lowered graph |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    HardwareDescription diana = Targets.resolve("diana");
    Path tmp = Files.createTempDirectory("kiln-sim-bench");
    for (int m = 0; m < POW2.length; m++) {
      Graph g = Pow2Models.of(POW2[m]);
      Graph published = Pipeline.DEFAULT.apply(ModelSource.load(shared.resolve("mlperf-tiny")
          .resolve(INT8[m] + ".tflite").toString()));
      List<List<Tensor>> samples = rand16(POW2[m].publishedModel().replace(".tflite", ""), g);
      Interpreter ref = new Interpreter(published);
      String[] names = {"CPU only", "CPU + digital", "CPU + analog", "CPU + both (mixed)"};
      for (int c = 0; c < 4; c++) {
        Planner.Planned p = switch (c) {
          case 0 -> plan(g, cpuOnly(diana), Policy.FIRST, false);
          case 1 -> plan(g, diana, Policy.DIGITAL, false);
          case 2 -> plan(g, diana, Policy.ANALOG, true);
          default -> plan(g, diana, Policy.MIXED, true);
        };
        Simulation s = simulate(p, samples.get(0));
        // Cycles do not depend on the data; top-1 over all 16 samples runs the lowered graph the
        // simulation matched byte for byte on the first.
        Interpreter lowered = new Interpreter(p.plan().graph());
        int agree = 0;
        boolean classifier = g.outputValues().get(0).shape().elements() > 1 && !INT8[m].startsWith("ad01");
        for (List<Tensor> sample : samples) {
          if (argmax(lowered.run(sample).get(0)) == argmax(ref.run(sample).get(0))) {
            agree++;
          }
        }
        Path dir = tmp.resolve(m + "-" + c);
        GeneratedFiles.write(DeploymentCodegen.emit(p.plan()), dir);
        ObjectSizes o = ObjectSizer.measureSources(dir, ObjectSizer.findCompiler(),
            List.of("kiln_model.c", "kiln_weights.c", "kiln_memories.c"));
        System.out.printf(Locale.ROOT, "| %s | %s | %.3f | %,d | %,d | %,d | %,d | %s | %s | %s | %s | %s |%n",
            INT8[m], names[c], 1000 * s.seconds(), s.cycles(), s.busy().getOrDefault("digital", 0L),
            s.busy().getOrDefault("analog", 0L), s.busy().getOrDefault("host", 0L),
            o.available() ? String.format(Locale.ROOT, "%,d", o.textBytes()) : "n/a",
            o.available() ? String.format(Locale.ROOT, "%,d", o.rodataBytes() + o.dataBytes()) : "n/a",
            o.available() ? String.format(Locale.ROOT, "%,d", o.bssBytes()) : "n/a",
            classifier ? agree + "/" + samples.size() : "n/a (autoencoder)",
            s.check().orElseThrow().matched() ? "yes" : "NO: " + s.check().get().firstMismatch().orElse(""));
      }
    }
    System.out.println("END configurations");
  }

  static void perLayer() {
    System.out.println("BEGIN layers");
    System.out.println("| model | target | step | layer | unit | simulated | analytic | diff | sim compute | analytic"
        + " compute | effect |");
    System.out.println("|---|---|---:|---|---|---:|---:|---:|---:|---:|---|");
    for (int m = 0; m < INT8.length; m++) {
      Graph pow2 = Pow2Models.of(POW2[m]);
      Graph int8 = Pipeline.DEFAULT.apply(ModelSource.load(shared.resolve("mlperf-tiny")
          .resolve(INT8[m] + ".tflite").toString()));
      layers(INT8[m] + " (pow2)", "diana mixed", plan(pow2, Targets.resolve("diana"), Policy.MIXED, true));
      layers(INT8[m], "dla", plan(int8, Targets.resolve("dla"), Policy.FIRST, false));
    }
    System.out.println("END layers");
  }

  static void layers(String model, String target, Planner.Planned p) {
    Simulation s = simulate(p, LayerSweep.inputs(p.plan().graph(), 1));
    for (Simulation.Layer l : s.layers()) {
      Step step = p.plan().steps().get(l.step());
      LayerPlan lp = p.costs().layerPlan(p.plan(), step);
      String effect = "";
      if (Math.abs(l.difference()) > 0.10) {
        effect = effect(l, lp);
      }
      System.out.printf(Locale.ROOT, "| %s | %s | %d | %s | %s | %,d | %,d | %+.1f%% | %,d | %,d | %s |%n", model,
          target, l.step(), l.name(), l.unit(), l.cycles(), l.analyticCycles(), 100 * l.difference(),
          l.computeCycles(), lp.computeCycles(), effect);
    }
    System.out.printf(Locale.ROOT, "| %s | %s | | **total** | | %,d | %,d | %+.1f%% | | | |%n", model, target,
        s.cycles(), s.layers().stream().mapToLong(Simulation.Layer::analyticCycles).sum(),
        100.0 * s.cycles() / Math.max(1, s.layers().stream().mapToLong(Simulation.Layer::analyticCycles).sum()) - 100);
  }

  /** Which effect makes a layer's simulated cycles differ from the analytic estimate. */
  static String effect(Simulation.Layer l, LayerPlan lp) {
    if (l.tiles() == 0) {
      return l.cycles() == 0 ? "an aliasing Reshape: no code, no cycles (the estimate charges a copy)"
          : "CPU kernel: Kiln's plain-C kernel as measured (calibration) against the description's assumed cost";
    }
    long simOther = l.cycles() - l.computeCycles();
    long anaOther = lp.totalCycles() - lp.computeCycles();
    long dc = l.computeCycles() - lp.computeCycles();
    long dm = simOther - anaOther;
    if (Math.abs(dc) >= Math.abs(dm)) {
      return dc > 0 ? "array time (per-block row loads and fixed cost the array-step estimate omits)"
          : "array time (the estimate charges per-call overhead as compute)";
    }
    return dm > 0 ? "DMA and host time not hidden behind compute (waits, setup per command)"
        : "DMA overlaps more than the estimate assumes (two channels, per-tile overlap)";
  }

  static void sweeps() {
    System.out.println("BEGIN sweeps");
    System.out.println("| layer | C | K | H=W | unit | MACs | array cycles | array MAC/cycle | kernel-call cycles | kernel"
        + " loss | layer cycles | layer loss | tiles |");
    System.out.println("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    HardwareDescription diana = Targets.resolve("diana");
    for (Policy p : new Policy[] {Policy.DIGITAL, Policy.ANALOG}) {
      for (LayerSweep.Kind kind : LayerSweep.Kind.values()) {
        if (p == Policy.ANALOG && kind == LayerSweep.Kind.DEPTHWISE) {
          continue; // the analog array has no depthwise pattern
        }
        int[] channels = kind == LayerSweep.Kind.FC ? new int[] {64, 256, 1024} : new int[] {16, 32, 64, 128};
        int[] sizes = kind == LayerSweep.Kind.FC ? new int[] {1} : new int[] {8, 16, 32, 64};
        for (int c : channels) {
          for (int hw : sizes) {
            int k = kind == LayerSweep.Kind.FC ? Math.min(c, 512) : 64;
            try {
              LayerSweep.Row r = LayerSweep.run(kind, c, k, hw, diana, p, p == Policy.ANALOG);
              System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %s | %,d | %,d | %.2f | %,d | %.1f%% | %,d | %.1f%% | %d |%n",
                  kind.name().toLowerCase(Locale.ROOT), c, r.k(), hw, r.unit(), r.macs(), r.peakCycles(),
                  r.peakMacsPerCycle(), r.kernelCycles(), 100 * r.kernelLoss(), r.fullCycles(), 100 * r.loss(),
                  r.tiles());
            } catch (RuntimeException e) {
              System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %s | not planned: %s | | | | | | | |%n",
                  kind.name().toLowerCase(Locale.ROOT), c, k, hw, p.cliName(), e.getMessage());
            }
          }
        }
      }
    }
    // An NVDLA-style array of Atomic-C 16 x Atomic-K 64 MACs under a C = 8, K = 16 conv.
    LayerSweep.Row r = LayerSweep.run(LayerSweep.Kind.CONV3X3, 8, 16, 16, LayerSweep.atomicDla(), Policy.FIRST, false);
    System.out.printf(Locale.ROOT, "| conv3x3 on dla (Atomic-C 16 x Atomic-K 64, peak 1024) | 8 | 16 | 16 | %s | %,d | %,d"
        + " | %.1f (utilization %.4f) | %,d | %.1f%% | %,d | %.1f%% | %d |%n", r.unit(), r.macs(), r.peakCycles(),
        r.peakMacsPerCycle(), r.peakMacsPerCycle() / 1024, r.kernelCycles(), 100 * r.kernelLoss(), r.fullCycles(),
        100 * r.loss(), r.tiles());
    System.out.println("END sweeps");
  }

  static void speed() {
    List<Graph> int8 = new ArrayList<>();
    for (String m : INT8) {
      int8.add(Pipeline.DEFAULT.apply(ModelSource.load(shared.resolve("mlperf-tiny").resolve(m + ".tflite").toString())));
    }
    List<Planner.Planned> plans = new ArrayList<>();
    for (Graph g : int8) {
      for (String t : DLA) {
        plans.add(plan(g, Targets.resolve(t), Policy.FIRST, false));
      }
      plans.add(plan(g, Targets.resolve("diana"), Policy.DIGITAL, false));
    }
    for (MlperfPtq.Case c : POW2) {
      for (Policy p : new Policy[] {Policy.DIGITAL, Policy.ANALOG, Policy.MIXED}) {
        plans.add(plan(Pow2Models.of(c), Targets.resolve("diana"), p, p != Policy.DIGITAL));
      }
    }
    List<List<Tensor>> inputs = plans.stream().map(p -> LayerSweep.inputs(p.plan().graph(), 1)).toList();
    long[] ms = new long[5];
    for (int r = -2; r < ms.length; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < plans.size(); i++) {
        simulate(plans.get(i), inputs.get(i));
      }
      if (r >= 0) {
        ms[r] = (System.nanoTime() - t0) / 1_000_000;
      }
    }
    Arrays.sort(ms);
    System.out.println("BEGIN speed");
    System.out.printf(Locale.ROOT, "%d simulations (4 models x 4 dla variants and diana digital on the int8 models,"
        + " 4 pow2 models x diana digital/analog/mixed), functional and timed, with the check: median %d ms"
        + " (min %d, max %d) of 5 warm runs%n", plans.size(), ms[2], ms[0], ms[4]);
    System.out.println("END speed");
  }
}
