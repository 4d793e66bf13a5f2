package io.kiln.bench;

import io.kiln.codegen.DeploymentCodegen;
import io.kiln.codegen.GeneratedFiles;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.DeploymentPlan;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.report.ObjectSizer;
import io.kiln.report.ObjectSizes;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Deployment benchmarks of issue 9 (not a test): warm in-process compile time (plan + C
 * generation) of the four MLPerf Tiny models for each target, and the generated program's code
 * and data per section and per memory of the description. Run by bench/deploy.sh.
 */
public final class DeployBench {
  private DeployBench() {}

  record Target(String spec, String policy, boolean ternarize) {
    String label() {
      return spec + (policy != null ? " " + policy : "") + (ternarize ? " --ternarize" : "");
    }
  }

  static final String[] MODELS = {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"};
  static final Target[] TARGETS = {
      new Target("dla", null, false),
      new Target("dla:pe=128,sram=1MiB,par=input,dw=native", null, false),
      new Target("dla:pe=64,sram=512KiB,par=output,dw=emulated", null, false),
      new Target("dla:pe=128,sram=256MiB,par=input,dw=unsupported", null, false),
      new Target("diana", "digital", false),
      new Target("diana", "analog", true),
      new Target("diana", "mixed", true)};
  static final int WARMUP = 2;
  static final int RUNS = 5;

  public static void main(String[] args) throws Exception {
    Path shared = Path.of(System.getProperty("kiln.shared", "/work/shared"), "models", "mlperf-tiny");
    Path tmp = Files.createTempDirectory("kiln-deploy-bench");
    System.out.println("ROWS_BEGIN");
    for (String m : MODELS) {
      Graph g = Pipeline.DEFAULT.apply(ModelSource.load(shared.resolve(m + ".tflite").toString()));
      for (Target t : TARGETS) {
        HardwareDescription hw = Targets.resolve(t.spec());
        Policy p = t.policy() == null ? Policy.defaultFor(hw) : Policy.named(t.policy());
        Planner.Options o = new Planner.Options(p, t.ternarize(), SolverKind.BNB);
        long[] ns = new long[RUNS];
        Map<String, String> files = null;
        DeploymentPlan plan = null;
        for (int i = -WARMUP; i < RUNS; i++) {
          long t0 = System.nanoTime();
          plan = Planner.plan(g, hw, o).plan();
          files = DeploymentCodegen.emit(plan);
          if (i >= 0) {
            ns[i] = System.nanoTime() - t0;
          }
        }
        Arrays.sort(ns);
        Path dir = tmp.resolve(m + "-" + Math.abs(t.label().hashCode()));
        GeneratedFiles.write(files, dir);
        ObjectSizes s = ObjectSizer.measureSources(dir, ObjectSizer.findCompiler(),
            List.of("kiln_model.c", "kiln_weights.c", "kiln_memories.c"));
        List<String> mem = new ArrayList<>();
        DeploymentPlan fp = plan;
        plan.sharedExtents().forEach((k, v) -> mem.add(k + " " + String.format(Locale.ROOT, "%,d", v)));
        plan.localPeaks().forEach((k, v) -> mem.add(k + " " + String.format(Locale.ROOT, "%,d", v)));
        long blobs = fp.blobs().values().stream().mapToLong(r -> r.bytes()).sum();
        System.out.printf(Locale.ROOT, "| %s | %s | %d | %.1f | %s | %s | %s | %s | %,d | %,d | %s |%n", m, t.label(),
            plan.calls().size(), ns[RUNS / 2] / 1e6, s.available() ? String.format(Locale.ROOT, "%,d", s.textBytes()) : "n/a",
            s.available() ? String.format(Locale.ROOT, "%,d", s.rodataBytes()) : "n/a",
            s.available() ? String.format(Locale.ROOT, "%,d", s.dataBytes()) : "n/a",
            s.available() ? String.format(Locale.ROOT, "%,d", s.bssBytes()) : "n/a", plan.arena().bytes(), blobs,
            String.join(", ", mem));
      }
    }
    System.out.println("ROWS_END");
  }
}
