package io.kiln.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The terminal form of a {@link CompileReport}: a layer table, then one total per line under the
 * same names the JSON form uses, so what a user reads is what a script greps.
 */
public final class CompileReportText {
  private CompileReportText() {}

  public static String render(CompileReport r) {
    StringBuilder sb = new StringBuilder();
    sb.append("compiled model ").append(r.model()).append(" for target ").append(r.target())
        .append(" into ").append(r.outputDir()).append(" (").append(r.files().size())
        .append(" files)\n");
    for (int i = 0; i < r.inputs().size(); i++) {
      sb.append("  input  ").append(i).append(' ').append(r.inputs().get(i).text()).append('\n');
    }
    for (int i = 0; i < r.outputs().size(); i++) {
      sb.append("  output ").append(i).append(' ').append(r.outputs().get(i).text()).append('\n');
    }
    sb.append('\n');

    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"#", "operator", "inputs", "output", "MACs", "output at", "bytes",
        "scratch", "kernel"});
    for (CompileReport.Layer l : r.layers()) {
      List<String> ins = new ArrayList<>();
      for (CompileReport.Tensor t : l.inputs()) {
        ins.add(t.text());
      }
      rows.add(new String[] {Integer.toString(l.index()), l.op(), String.join(" ", ins),
          l.output().text(), grouped(l.macs()),
          l.arenaOffset() == null ? CompileReport.IO : "arena+" + l.arenaOffset(),
          grouped(l.outputBytes()), grouped(l.scratchBytes()), l.kernel()});
    }
    boolean[] numeric = {true, false, false, false, true, false, true, true, false};
    sb.append(table(rows, numeric)).append('\n');
    List<String> why = new ArrayList<>();
    boolean special = false;
    for (CompileReport.Layer l : r.layers()) {
      // DSP kernels, and layers with N:M weights (sparse, or dense with the estimate that kept
      // them dense), say why they got their kernel.
      special |= l.kernel().startsWith("dsp") || l.kernel().startsWith("sparse")
          || l.kernelReason().contains(" weights stay dense");
      if (l.macs() > 0) {
        why.add("  " + l.index() + " " + l.kernel() + ": " + l.kernelReason());
      }
    }
    if (special) {
      sb.append("kernel choices\n");
      for (String w : why) {
        sb.append(w).append('\n');
      }
      sb.append('\n');
    }

    CompileReport.Totals t = r.totals();
    List<String[]> totals = new ArrayList<>();
    totals.add(new String[] {"layers", grouped(t.layers()), ""});
    totals.add(new String[] {"macs", grouped(t.macs()), ""});
    totals.add(new String[] {"arena_bytes", grouped(t.arenaBytes()), arenaNote(t)});
    totals.add(new String[] {"arena_lower_bound_bytes", grouped(t.arenaLowerBoundBytes()),
        "most bytes live at one layer"});
    totals.add(new String[] {"arena_baseline_bytes", grouped(t.arenaBaselineBytes()),
        "every buffer its own region"});
    totals.add(new String[] {"weight_bytes", grouped(t.weightBytes()), ""});
    totals.add(new String[] {"scratch_bytes", grouped(t.scratchBytes()), ""});
    totals.add(new String[] {"input_bytes", grouped(t.inputBytes()), "caller's buffers"});
    totals.add(new String[] {"output_bytes", grouped(t.outputBytes()), "caller's buffers"});
    totals.add(new String[] {"state_bytes", grouped(t.stateBytes()),
        "kept across runs, zeroed by kiln_reset"});
    ObjectSizes s = r.objectSizes();
    if (s.available()) {
      String how = "model + weights, " + s.command();
      totals.add(new String[] {".text", grouped(s.textBytes()), how});
      totals.add(new String[] {".rodata", grouped(s.rodataBytes()), ""});
      totals.add(new String[] {".data", grouped(s.dataBytes()), ""});
      totals.add(new String[] {".bss", grouped(s.bssBytes()), ""});
    } else {
      totals.add(new String[] {".text/.rodata/.data/.bss", "n/a", "(" + s.reason() + ")"});
    }
    sb.append("totals\n");
    for (String line : table(totals, new boolean[] {false, true, false}).split("\n")) {
      sb.append("  ").append(line).append('\n');
    }
    return sb.toString();
  }

  private static String arenaNote(CompileReport.Totals t) {
    long over = t.arenaBytes() - t.arenaLowerBoundBytes();
    return over == 0 ? "at the lower bound" : grouped(over) + " above the lower bound";
  }

  /** Aligned columns, two spaces apart, numbers right-aligned; no trailing blanks. */
  private static String table(List<String[]> rows, boolean[] numeric) {
    int[] width = new int[numeric.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        String pad = " ".repeat(width[i] - row[i].length());
        line.append(i > 0 ? "  " : "").append(numeric[i] ? pad + row[i] : row[i] + pad);
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  private static String grouped(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
