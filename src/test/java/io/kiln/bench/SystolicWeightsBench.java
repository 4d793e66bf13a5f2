package io.kiln.bench;

import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.schedule.Transfer;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.sim.CallModels;
import io.kiln.sim.Simulator;
import io.kiln.sim.systolic.SystolicCallModel;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.HardwareLoader;
import io.kiln.target.HardwareWriter;
import io.kiln.target.Targets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The systolic unit's weight storage (not a test): the compact {@code array_tiles} layout of the
 * preset against the per-tap padded {@code array_blocks} it replaced, on the same description
 * otherwise: blob bytes, weight DMA bytes and simulated cycles of every MLPerf Tiny model and of
 * the 224x224 built-ins. Part of bench/systolic.sh.
 */
final class SystolicWeightsBench {
  private SystolicWeightsBench() {}

  /** {@code hw} with its systolic unit storing weights in {@code layout} instead. */
  static HardwareDescription withLayout(HardwareDescription hw, String layout) {
    String yaml = HardwareWriter.toYaml(hw);
    String edited = yaml.replace("weight_layout: array_tiles", "weight_layout: " + layout);
    if (edited.equals(yaml) && !layout.equals("array_tiles")) {
      throw new IllegalStateException(hw.name() + " does not store array_tiles");
    }
    return HardwareLoader.parse(edited, hw.name() + " with " + layout);
  }

  /** Blob bytes, real weight bytes, weight DMA bytes and simulated cycles of one plan. */
  static long[] measure(Graph g, HardwareDescription hw, int batch) {
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.named("first"), false, SolverKind.BNB));
    var errors = DeploymentChecker.check(p.plan());
    if (!errors.isEmpty()) {
      throw new IllegalStateException(hw.name() + ": " + errors);
    }
    long blobs = 0;
    long real = 0;
    long dma = 0;
    for (Step s : p.plan().steps()) {
      if (s instanceof Step.AcceleratorCall c && c.unit().kind() == Accelerator.Kind.SYSTOLIC) {
        blobs += c.blob().map(r -> r.bytes()).orElse(0L);
        real += c.blobLayout().map(b -> b.weights().weights()).orElse(0L);
        for (DmaDescriptor d : c.transfers()) {
          if (d.kind() == Transfer.Kind.WEIGHTS) {
            dma += d.run() * d.rows() * d.planes();
          }
        }
      }
    }
    SystolicCallModel systolic = new SystolicCallModel(batch);
    CallModels models = unit -> unit.kind() == Accelerator.Kind.SYSTOLIC ? systolic : CallModels.DEFAULT.forUnit(unit);
    long cycles = Simulator.simulateTiming(p.plan(), p.costs(), Simulator.CpuTiming.of(p.costs()), models, "first")
        .cycles();
    return new long[] {blobs, real, dma, cycles};
  }

  static void table(StringBuilder out) {
    Path shared = Path.of(System.getProperty("kiln.shared", "/work/shared"), "models", "mlperf-tiny");
    out.append("### Weight storage: compact array tiles against per-tap padded array blocks\n\n");
    out.append("The preset stores a layer's weights as `array_tiles`: per K tile x C tile of the plan, the tile's "
        + "`[FY][FX][c][k]`, unpadded (the array zero-fills what a fold leaves over as it loads). The "
        + "`array_blocks` column is the same description storing `array_blocks` (every tap padded to "
        + "rows x cols), which it did before. Blobs: the weight blobs of the systolic layers in L2 (weights, "
        + "then the 16-byte-aligned per-channel records); weights: the layers' int8 weights; weight DMA: the bytes "
        + "of every weight transfer of the plan; cycles: `Simulator.simulateTiming` of the plan (batch 1 for the "
        + "MLPerf Tiny models, 8 for the built-ins, whose shapes time but are not executed here). "
        + "Both plans pass `DeploymentChecker`; the outputs under `array_tiles` are the byte-identical "
        + "ones of the first table.\n\n");
    out.append("| model | target | weights B | blobs B: blocks | blobs B: tiles | weight DMA B: blocks "
        + "| weight DMA B: tiles | cycles: blocks | cycles: tiles |\n");
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (String m : SystolicBench.MODELS) {
      Graph g = Pipeline.DEFAULT.apply(ModelSource.load(shared.resolve(m + ".tflite").toString()));
      for (String t : new String[] {"systolic", "systolic:im2col=explicit", "systolic:rows=32,cols=16,tiles=2",
          "systolic:rows=16,cols=16,sram=64KiB"}) {
        row(out, m, g, t, 1);
      }
    }
    for (String m : new String[] {"resnet50", "vgg16"}) {
      row(out, "builtin:" + m, ModelSource.load("builtin:" + m), "systolic", 8);
    }
    out.append('\n');
  }

  private static void row(StringBuilder out, String model, Graph g, String target, int batch) {
    HardwareDescription tiles = Targets.resolve(target);
    long[] after = measure(g, tiles, batch);
    long[] before = measure(g, withLayout(tiles, "array_blocks"), batch);
    out.append(String.format(Locale.ROOT, "| %s | %s | %,d | %,d | %,d | %,d | %,d | %,d | %,d |%n", model, target,
        after[1], before[0], after[0], before[2], after[2], before[3], after[3]));
  }
}
