import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.schedule.CpuCost;
import io.kiln.sim.cpu.CalibrationFit;
import io.kiln.sim.cpu.CpuCalibration;
import io.kiln.sim.cpu.CpuCalibration.Measurement;
import io.kiln.sim.cpu.CpuCalibration.Constants;
import io.kiln.target.Cpu.KernelKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fitting half of bench/cpucycles.sh (not part of Kiln): reads the per-layer instruction
 * counts the script measured, gives every layer its kernel kind and units of work from the model's
 * graph (the same functions the cost model and the simulator use), fits the constants per core
 * with {@link CalibrationFit}, and writes calibration.json and the BENCHMARKS.md tables: the
 * constants, the fit error per layer, and the error on each model when it is left out of the fit.
 *
 *   java -cp target/kiln.jar:CLASSES CpuCalibrate MEASURED.tsv MODELS_DIR OUT.json TABLES.md
 */
public final class CpuCalibrate {
  private static final Map<String, String> HOW = Map.of(
      "cortex-m3", "mps2-an385, plain-C kernels, qemu-system-arm -icount shift=0, SysTick x 40",
      "cortex-m4", "mps2-an386, plain-C kernels, qemu-system-arm -icount shift=0, SysTick x 40",
      "cortex-m4-dsp", "mps2-an386, DSP-extension kernels, qemu-system-arm -icount shift=0, "
          + "SysTick x 40",
      "rv32imc", "riscv32-virt, plain-C kernels, qemu-system-riscv32 -icount shift=0, minstret");

  public static void main(String[] args) throws Exception {
    List<String> lines = Files.readAllLines(Path.of(args[0]));
    Path models = Path.of(args[1]);
    Map<String, Graph> graphs = new HashMap<>();
    Map<String, List<Measurement>> byCore = new LinkedHashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t");
      String model = f[1];
      int layer = Integer.parseInt(f[2]);
      Graph g = graphs.computeIfAbsent(model, m -> Pipeline.DEFAULT.apply(ModelSource.load(
          source(models, m))));
      Node n = g.nodes().get(layer);
      if (!n.op().opName().equals(f[3])) {
        throw new IllegalStateException(model + " layer " + layer + " is " + n.op().opName()
            + " in the graph but " + f[3] + " in the compile report");
      }
      byCore.computeIfAbsent(f[0], c -> new ArrayList<>()).add(new Measurement(model, layer,
          f[3], f[4], CpuCost.kind(n.op()), CpuCost.work(g, n), g.output(n).shape().elements(),
          Long.parseLong(f[6])));
    }
    List<CpuCalibration> cals = new ArrayList<>();
    byCore.forEach((core, ms) -> cals.add(new CpuCalibration(core, HOW.get(core),
        CalibrationFit.fit(ms), ms)));
    Files.writeString(Path.of(args[2]), CpuCalibration.toJson("instructions = overhead_cycles"
        + " + per_unit x work per kernel kind, least squares on the relative error over the"
        + " measured layers (bench/cpucycles.sh); one cycle per instruction", cals));
    Files.writeString(Path.of(args[3]), tables(cals));
  }

  /** builtin:NAME for the built-ins, else the one NAME.tflite under the models directory. */
  static String source(Path models, String name) {
    if (name.equals("ds_cnn") || name.equals("resnet")) {
      return "builtin:" + name;
    }
    try (var files = Files.find(models, 3, (p, a) -> p.getFileName().toString()
        .equals(name + ".tflite"))) {
      return files.findFirst().orElseThrow(() -> new IllegalArgumentException("no model "
          + name + ".tflite under " + models)).toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String tables(List<CpuCalibration> cals) {
    StringBuilder sb = new StringBuilder();
    sb.append("### Constants: cycles per unit of work, per output element, per call\n\n")
        .append("Each cell is `per_unit / per_output / per_call`.\n\n| kind | unit |");
    for (CpuCalibration c : cals) {
      sb.append(' ').append(c.core()).append(" |");
    }
    sb.append("\n|---|---|").append("---:|".repeat(cals.size())).append('\n');
    for (KernelKind k : KernelKind.values()) {
      if (cals.stream().noneMatch(c -> c.constants().containsKey(k))) {
        continue;
      }
      sb.append("| ").append(CpuCalibration.kindName(k)).append(" | ")
          .append(k.unit().yamlKey()).append(" |");
      for (CpuCalibration c : cals) {
        Constants cost = c.constants().get(k);
        sb.append(cost == null ? " — |" : String.format(Locale.ROOT, " %.3f / %.1f / %,d |",
            cost.cyclesPerUnit(), cost.cyclesPerOutput(), cost.overheadCycles()));
      }
      sb.append('\n');
    }
    sb.append("\n### Fit error per kind (all layers in the fit)\n\n")
        .append("| core | kind | layers | median abs error | worst error | worst layer |\n")
        .append("|---|---|---:|---:|---:|---|\n");
    for (CpuCalibration c : cals) {
      for (KernelKind k : c.constants().keySet()) {
        List<Measurement> ms = c.measurements().stream().filter(m -> m.kind() == k
            && m.work() > 0 && m.instructions() > 0).toList();
        double[] errs = ms.stream().mapToDouble(m -> CalibrationFit.error(
            c.constants().get(k), m)).toArray();
        int worst = 0;
        for (int i = 1; i < errs.length; i++) {
          worst = Math.abs(errs[i]) > Math.abs(errs[worst]) ? i : worst;
        }
        sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f%% | %+.1f%% | %s %d %s |%n",
            c.core(), CpuCalibration.kindName(k), ms.size(), 100 * medianAbs(errs),
            100 * errs[worst], ms.get(worst).model(), ms.get(worst).layer(),
            ms.get(worst).kernel()));
      }
    }
    sb.append("\n### Each model left out of the fit: its predicted vs measured instructions\n\n")
        .append("| core | held-out model | layers | measured | predicted | total error |"
            + " median abs layer error | worst layer error |\n")
        .append("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (CpuCalibration c : cals) {
      for (String model : c.measurements().stream().map(Measurement::model).distinct().toList()) {
        Map<KernelKind, Constants> rest = CalibrationFit.fit(c.measurements().stream()
            .filter(m -> !m.model().equals(model)).toList());
        List<Measurement> held = c.measurements().stream().filter(m -> m.model().equals(model)
            && m.instructions() > 0 && rest.containsKey(m.kind())).toList();
        long measured = 0;
        long predicted = 0;
        double[] errs = new double[held.size()];
        for (int i = 0; i < errs.length; i++) {
          Measurement m = held.get(i);
          Constants cost = rest.get(m.kind());
          measured += m.instructions();
          predicted += predict(cost, m);
          errs[i] = CalibrationFit.error(cost, m);
        }
        double worst = 0;
        for (double e : errs) {
          worst = Math.abs(e) > Math.abs(worst) ? e : worst;
        }
        sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %,d | %,d | %+.1f%% | %.1f%% | "
            + "%+.1f%% |%n", c.core(), model, held.size(), measured, predicted,
            100.0 * (predicted - measured) / measured, 100 * medianAbs(errs), 100 * worst));
      }
    }
    sb.append("\n### Per layer: measured instructions and the fitted model\n\n")
        .append("| core | model | layer | operator | kernel | kind | work | instructions |"
            + " model | error |\n|---|---|---:|---|---|---|---:|---:|---:|---:|\n");
    for (CpuCalibration c : cals) {
      for (Measurement m : c.measurements()) {
        Constants cost = c.constants().get(m.kind());
        String model = cost == null || m.instructions() == 0 ? "" : String.format(Locale.ROOT,
            "%,d | %+.1f%%", predict(cost, m), 100 * CalibrationFit.error(cost, m));
        sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %,d | %,d | %s |%n",
            c.core(), m.model(), m.layer(), m.op(), m.kernel(), CpuCalibration.kindName(m.kind()),
            m.work(), m.instructions(), model.isEmpty() ? " | " : model));
      }
    }
    return sb.toString();
  }

  private static long predict(Constants c, Measurement m) {
    return Math.round(m.instructions() * (1 + CalibrationFit.error(c, m)));
  }

  private static double medianAbs(double[] errs) {
    double[] a = new double[errs.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.abs(errs[i]);
    }
    java.util.Arrays.sort(a);
    return a.length == 0 ? 0 : a.length % 2 == 1 ? a[a.length / 2]
        : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
