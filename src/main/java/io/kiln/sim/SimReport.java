package io.kiln.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reports of a simulation: a table per layer (unit, simulated and analytic cycles, their
 * difference, utilization, DMA bytes per memory pair, energy) with the totals, and the same as
 * JSON for scripts, the HTML page and the benchmarks.
 */
public final class SimReport {
  private SimReport() {}

  /** Prints the per-layer table and the totals. */
  public static void print(PrintWriter out, Simulation s) {
    out.printf(Locale.ROOT, "kiln simulate: %s (policy %s), %d steps at %.0f MHz%n", s.target(), s.policy(),
        s.layers().size(), s.clockHz() / 1e6);
    out.printf(Locale.ROOT, "  %-4s %-28s %-8s %11s %11s %7s %6s %5s %12s %10s%n", "step", "layer", "unit",
        "sim cyc", "analytic", "diff", "util", "tiles", "DMA bytes", "energy nJ");
    for (Simulation.Layer l : s.layers()) {
      long dma = l.bytes().values().stream().mapToLong(Long::longValue).sum();
      double nj = l.energyPj().values().stream().mapToDouble(Double::doubleValue).sum() / 1000;
      out.printf(Locale.ROOT, "  %-4d %-28s %-8s %11d %11d %+6.1f%% %5.1f%% %5d %12d %10.2f%n", l.step(),
          clip(l.name(), 28), clip(l.unit(), 8), l.cycles(), l.analyticCycles(), 100 * l.difference(),
          100 * l.utilization(), l.tiles(), dma, nj);
    }
    long analytic = s.layers().stream().mapToLong(Simulation.Layer::analyticCycles).sum();
    out.printf(Locale.ROOT, "  total: %d cycles = %.3f ms at %.0f MHz (analytic %d, %+.1f%%)%n", s.cycles(),
        1000 * s.seconds(), s.clockHz() / 1e6, analytic, analytic == 0 ? 0 : 100.0 * s.cycles() / analytic - 100);
    out.printf(Locale.ROOT, "  busy:");
    for (Map.Entry<String, Long> e : s.busy().entrySet()) {
      out.printf(Locale.ROOT, " %s %d (%.1f%%)", e.getKey(), e.getValue(),
          s.cycles() == 0 ? 0 : 100.0 * e.getValue() / s.cycles());
    }
    out.printf(Locale.ROOT, "; critical resource: %s%n", s.criticalResource());
    Map<String, Long> bytes = bytes(s);
    if (!bytes.isEmpty()) {
      out.printf(Locale.ROOT, "  DMA bytes:");
      bytes.forEach((k, v) -> out.printf(Locale.ROOT, " %s %d", k, v));
      out.println();
    }
    out.printf(Locale.ROOT, "  energy:");
    double total = 0;
    for (Map.Entry<String, Double> e : s.energyPj().entrySet()) {
      out.printf(Locale.ROOT, " %s %.2f nJ", e.getKey(), e.getValue() / 1000);
      total += e.getValue();
    }
    out.printf(Locale.ROOT, "; total %.2f uJ%n", total / 1e6);
    out.printf(Locale.ROOT, "  CPU cycles: %s%n", s.cpuModel());
    if (s.check().isEmpty()) {
      out.println("  outputs: not checked (timing only)");
    }
    s.check().ifPresent(c -> out.println(c.matched()
        ? "  outputs: identical to the interpreter on the lowered graph (kiln run --target)"
        : "  outputs: DIFFER from the interpreter: " + c.firstMismatch().orElse("?")));
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "~";
  }

  /** DMA bytes of the whole inference per {@code from->to} pair. */
  public static Map<String, Long> bytes(Simulation s) {
    Map<String, Long> total = new TreeMap<>();
    for (Simulation.Layer l : s.layers()) {
      l.bytes().forEach((k, v) -> total.merge(k, v, Long::sum));
    }
    return total;
  }

  /** The report as a JSON tree: target, totals, layers, and (with {@code events}) the timeline. */
  public static Map<String, Object> tree(Simulation s, boolean events) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("target", s.target());
    root.put("policy", s.policy());
    root.put("clock_hz", s.clockHz());
    root.put("cpu_model", s.cpuModel());
    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("cycles", s.cycles());
    totals.put("seconds", s.seconds());
    totals.put("analytic_cycles", s.layers().stream().mapToLong(Simulation.Layer::analyticCycles).sum());
    totals.put("busy", new TreeMap<>(s.busy()));
    totals.put("idle", idle(s));
    totals.put("critical_resource", s.criticalResource());
    totals.put("dma_bytes", bytes(s));
    totals.put("energy_pj", s.energyPj());
    root.put("totals", totals);
    s.check().ifPresent(c -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("matched", c.matched());
      c.firstMismatch().ifPresent(x -> m.put("first_mismatch", x));
      root.put("check", m);
    });
    List<Map<String, Object>> layers = new ArrayList<>();
    for (Simulation.Layer l : s.layers()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", l.step());
      m.put("node", l.node());
      m.put("name", l.name());
      m.put("op", l.op());
      m.put("unit", l.unit());
      m.put("start", l.start());
      m.put("cycles", l.cycles());
      m.put("analytic_cycles", l.analyticCycles());
      m.put("difference", l.difference());
      m.put("compute_cycles", l.computeCycles());
      m.put("kernel_cycles", l.kernelCycles());
      m.put("macs", l.macs());
      m.put("peak_macs_per_cycle", l.peakMacsPerCycle());
      m.put("utilization", l.utilization());
      m.put("tiles", l.tiles());
      m.put("dma_bytes", new TreeMap<>(l.bytes()));
      m.put("energy_pj", new TreeMap<>(l.energyPj()));
      layers.add(m);
    }
    root.put("layers", layers);
    if (events) {
      List<Map<String, Object>> ev = new ArrayList<>();
      for (Simulation.Event e : s.events()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("track", e.track());
        m.put("name", e.name());
        m.put("category", e.category());
        m.put("start", e.start());
        m.put("end", e.end());
        m.put("step", e.step());
        m.put("tile", e.tile());
        m.put("bytes", e.bytes());
        ev.add(m);
      }
      root.put("events", ev);
    }
    return root;
  }

  /** Cycles each resource was not busy during the inference. */
  public static Map<String, Long> idle(Simulation s) {
    Map<String, Long> idle = new TreeMap<>();
    s.busy().forEach((k, v) -> idle.put(k, Math.max(0, s.cycles() - v)));
    return idle;
  }

  public static String toJson(Simulation s) {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(tree(s, false)) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
