package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.DeploymentCodegen;
import io.kiln.codegen.GeneratedFiles;
import io.kiln.ir.Graph;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.DeploymentPlan;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.dispatch.PlanReport;
import io.kiln.report.DeployReport;
import io.kiln.report.ObjectSizer;
import io.kiln.report.ObjectSizes;
import io.kiln.target.HardwareDescription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code kiln compile} for a target with accelerators: plans the model, re-checks the plan,
 * generates the C program through the plan and reports it. Everything is generated in memory
 * before anything is written, so a model that does not fit leaves nothing in OUT.
 */
final class DeployCompile {
  private DeployCompile() {}

  /** The sources of the library proper whose object sizes the report gives. */
  static final List<String> LIBRARY = List.of("kiln_model.c", "kiln_weights.c", "kiln_memories.c");

  static DeployReport run(Graph g, HardwareDescription hw, Planner.Options options, Path outDir, boolean sizes,
      CodegenOptions.SparseKernels sparse) {
    Planner.Planned planned = Planner.plan(g, hw, options);
    DeploymentPlan plan = planned.plan();
    List<String> errors = DeploymentChecker.check(plan);
    if (!errors.isEmpty()) {
      throw new IllegalStateException("the deployment plan fails its check: " + String.join("; ", errors));
    }
    DeploymentCodegen.Program program = DeploymentCodegen.program(plan, cpuOptions(hw, sparse));
    Map<String, String> files = program.files();
    GeneratedFiles.write(files, outDir);
    ObjectSizes objects = sizes ? ObjectSizer.measureSources(outDir, ObjectSizer.findCompiler(), LIBRARY)
        : ObjectSizes.unavailable(null, "not measured: --no-object-sizes");
    Map<String, Long> capacities = new TreeMap<>();
    for (String m : plan.localPeaks().keySet()) {
      capacities.put(m, capacity(hw, m));
    }
    for (String m : plan.sharedExtents().keySet()) {
      capacities.put(m, capacity(hw, m));
    }
    List<String> numerics = new ArrayList<>();
    if (planned.ternarizedLayers() > 0) {
      numerics.add("numerics: --ternarize changed the weights of " + planned.ternarizedLayers()
          + " layers; the program computes the lowered graph (kiln run --target gives its outputs)");
    }
    if (!planned.lowering().unchanged()) {
      // What the units compute against the int8 graph, on seeded samples uniform over the
      // inputs' integer ranges (the rand16 convention of the reference outputs).
      io.kiln.plan.lower.LoweringReport r = io.kiln.plan.lower.LoweringReport.of(g, planned.lowering(),
          samples(g, SAMPLES));
      numerics.addAll(List.of(r.format().split("\n")));
    }
    PlanReport report = PlanReport.of(g.name(), hw, plan.dispatch(), planned.costs().schedule());
    return new DeployReport(report, outDir.toString(), List.copyOf(files.keySet()),
        DeployReport.memories(plan, capacities), objects, numerics, DeployReport.cpuKernels(program.cpuLayers()));
  }

  /**
   * The CPU kernels' options: portable C (the host HAL runs the program), with {@code sparse}
   * deciding N:M layers as in a CPU-only compile, for the description's core where that core's
   * kernels are portable C (its cost estimate then applies), else for the generic one.
   */
  static CodegenOptions cpuOptions(HardwareDescription hw, CodegenOptions.SparseKernels sparse) {
    CodegenOptions o = CodegenOptions.defaults().withSparse(sparse);
    io.kiln.target.CpuCore core = hw.cpu().core();
    return core.family() == io.kiln.target.CpuCore.KernelFamily.PLAIN_C ? o.withCore(core) : o;
  }

  /** Samples the numeric report compares on. */
  static final int SAMPLES = 16;

  private static List<List<io.kiln.interp.Tensor>> samples(Graph g, int count) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(20261201);
    List<List<io.kiln.interp.Tensor>> out = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      List<io.kiln.interp.Tensor> sample = new ArrayList<>();
      for (io.kiln.ir.Value v : g.inputValues()) {
        if (!v.dtype().isInteger()) {
          throw new KilnException("input " + v.name() + " is " + v.dtype().shortName()
              + ": accelerator targets take integer models (quantize it first)");
        }
        int[] x = new int[v.type().elements()];
        for (int i = 0; i < x.length; i++) {
          x[i] = (int) (v.dtype().min() + rng.nextLong(v.dtype().max() - v.dtype().min() + 1));
        }
        sample.add(io.kiln.interp.Tensor.ofInts(v.dtype(), v.shape(), x));
      }
      out.add(sample);
    }
    return out;
  }

  private static long capacity(HardwareDescription hw, String memory) {
    if (hw.memory(memory).isPresent()) {
      return hw.memory(memory).get().sizeBytes();
    }
    return hw.accelerators().stream().flatMap(a -> a.weightMemory().stream()).filter(m -> m.name().equals(memory))
        .mapToLong(m -> m.sizeBytes()).findFirst().orElse(0L);
  }

  /** Writes the JSON report, undoing the compile if that fails. */
  static void writeJson(DeployReport r, Path json, Path outDir, boolean outExisted) {
    try {
      Files.createDirectories(json.toAbsolutePath().getParent());
      RunCommand.writeAtomically(json, r.toJson().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      GeneratedFiles.remove(outDir, r.files(), !outExisted);
      throw new KilnException("cannot write the JSON report " + json + ": " + IoErrors.describe(e), e);
    }
  }
}
