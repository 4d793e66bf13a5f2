package io.kiln.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kiln.sim.dla.SubgraphKind;
import io.kiln.report.Svg;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outputs of a sweep: a text table, CSV, JSON, and an HTML page with two SVG charts —
 * stacked bars of the accelerated cycles by subgraph kind per configuration, and cycles against
 * on-chip memory with the Pareto front marked.
 */
public final class SweepReport {
  private SweepReport() {}

  static final SubgraphKind[] KINDS = SubgraphKind.values();
  static final String[] COLORS = Svg.COLORS;

  private static List<String> header() {
    List<String> h = new ArrayList<>(List.of("target", "cycles", "host_cycles"));
    for (SubgraphKind k : KINDS) {
      h.add(k.name().toLowerCase(Locale.ROOT) + "_cycles");
    }
    h.addAll(List.of("pe_utilization", "sram_used", "sram_size", "code_bytes", "data_bytes", "matched", "error"));
    return h;
  }

  private static List<String> row(Sweep.Result r) {
    List<String> v = new ArrayList<>(List.of(r.target(), Long.toString(r.cycles()), Long.toString(r.hostCycles())));
    for (SubgraphKind k : KINDS) {
      v.add(Long.toString(r.kinds().getOrDefault(k, 0L)));
    }
    v.addAll(List.of(String.format(Locale.ROOT, "%.4f", r.utilization()), Long.toString(r.sramUsed()),
        Long.toString(r.sramSize()), Long.toString(r.codeBytes()), Long.toString(r.dataBytes()),
        Boolean.toString(r.matched()), r.error().orElse("")));
    return v;
  }

  public static String csv(List<Sweep.Result> rs) {
    StringBuilder sb = new StringBuilder(String.join(",", header())).append('\n');
    for (Sweep.Result r : rs) {
      sb.append(String.join(",", row(r).stream().map(SweepReport::quote).toList())).append('\n');
    }
    return sb.toString();
  }

  private static String quote(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  public static String json(List<Sweep.Result> rs) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Sweep.Result r : rs) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("target", r.target());
      m.put("params", r.params());
      r.error().ifPresent(e -> m.put("error", e));
      if (r.error().isEmpty()) {
        m.put("cycles", r.cycles());
        m.put("host_cycles", r.hostCycles());
        Map<String, Long> k = new LinkedHashMap<>();
        for (SubgraphKind kind : KINDS) {
          k.put(kind.name(), r.kinds().getOrDefault(kind, 0L));
        }
        m.put("cycles_by_kind", k);
        m.put("pe_utilization", r.utilization());
        m.put("sram_used", r.sramUsed());
        m.put("sram_size", r.sramSize());
        m.put("code_bytes", r.codeBytes());
        m.put("data_bytes", r.dataBytes());
        m.put("matched", r.matched());
      }
      out.add(m);
    }
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The aligned text table (cycles in thousands per kind). */
  public static String table(List<Sweep.Result> rs) {
    StringBuilder sb = new StringBuilder(String.format("%-52s %11s %10s", "target", "cycles", "host"));
    for (SubgraphKind k : KINDS) {
      sb.append(String.format(" %9s", k.name()));
    }
    sb.append(String.format(" %6s %9s %9s %9s%n", "PE%", "SRAM use", "code B", "data B"));
    for (Sweep.Result r : rs) {
      if (r.error().isPresent()) {
        sb.append(String.format("%-52s cannot be planned: %s%n", r.target(), r.error().get()));
        continue;
      }
      sb.append(String.format("%-52s %11d %10d", r.target(), r.cycles(), r.hostCycles()));
      for (SubgraphKind k : KINDS) {
        sb.append(String.format(" %9d", r.kinds().getOrDefault(k, 0L)));
      }
      sb.append(String.format(Locale.ROOT, " %6.1f %9d %9d %9d%s%n", 100 * r.utilization(), r.sramUsed(),
          r.codeBytes(), r.dataBytes(), r.matched() ? "" : "  OUTPUTS DIFFER"));
    }
    return sb.toString();
  }

  /** The indices of the points no other point beats in both cycles and on-chip memory. */
  public static List<Integer> pareto(List<Sweep.Result> rs) {
    List<Integer> front = new ArrayList<>();
    for (int i = 0; i < rs.size(); i++) {
      Sweep.Result a = rs.get(i);
      if (a.error().isPresent()) {
        continue;
      }
      boolean dominated = false;
      for (Sweep.Result b : rs) {
        if (b != a && b.error().isEmpty() && b.cycles() <= a.cycles() && b.sramSize() <= a.sramSize()
            && (b.cycles() < a.cycles() || b.sramSize() < a.sramSize())) {
          dominated = true;
          break;
        }
      }
      if (!dominated) {
        front.add(i);
      }
    }
    return front;
  }

  private static String esc(String s) {
    return Svg.esc(s);
  }

  /** Stacked bars: one per planned point, its accelerated cycles by subgraph kind. */
  public static String barsSvg(List<Sweep.Result> rs, String title) {
    List<Sweep.Result> ok = rs.stream().filter(r -> r.error().isEmpty()).toList();
    long max = 1;
    for (Sweep.Result r : ok) {
      max = Math.max(max, r.kinds().values().stream().mapToLong(Long::longValue).sum());
    }
    int bar = 18;
    int left = 330;
    int width = 900;
    int height = 60 + ok.size() * (bar + 4) + 40;
    StringBuilder sb = new StringBuilder(Svg.open(width, height, title));
    for (int k = 0; k < KINDS.length; k++) {
      sb.append(String.format("<rect x=\"%d\" y=\"30\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" "
          + "y=\"39\">%s</text>", left + k * 90, COLORS[k], left + k * 90 + 14, KINDS[k]));
    }
    // Room for the total after the longest bar.
    double scale = (width - left - 90) / (double) max;
    for (int i = 0; i < ok.size(); i++) {
      Sweep.Result r = ok.get(i);
      int y = 50 + i * (bar + 4);
      String label = r.params().isEmpty() ? r.target() : r.params().toString().replaceAll("[{}]", "");
      sb.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", left - 6, y + 13, esc(label)));
      double x = left;
      for (int k = 0; k < KINDS.length; k++) {
        double w = r.kinds().getOrDefault(KINDS[k], 0L) * scale;
        if (w > 0) {
          sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
              + "<title>%s %d</title></rect>", x, y, w, bar, COLORS[k], KINDS[k], r.kinds().get(KINDS[k])));
          x += w;
        }
      }
      sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%,d</text>", x + 4, y + 13,
          r.kinds().values().stream().mapToLong(Long::longValue).sum()));
    }
    return sb.append("</svg>").toString();
  }

  /** Cycles against on-chip memory (log scale), the Pareto front joined by a line. */
  public static String paretoSvg(List<Sweep.Result> rs, String title) {
    int w = 700;
    int h = 420;
    int l = 80;
    int b = 50;
    List<Sweep.Result> ok = rs.stream().filter(r -> r.error().isEmpty()).toList();
    double minM = ok.stream().mapToDouble(r -> Math.log10(Math.max(1, r.sramSize()))).min().orElse(0) - 0.2;
    double maxM = ok.stream().mapToDouble(r -> Math.log10(Math.max(1, r.sramSize()))).max().orElse(1) + 0.2;
    double maxC = ok.stream().mapToLong(Sweep.Result::cycles).max().orElse(1) * 1.1;
    StringBuilder sb = new StringBuilder(Svg.open(w, h, title)).append(String.format(
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>"
        + "<line x1=\"%d\" y1=\"30\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>"
        + "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">on-chip SRAM (bytes, log scale)</text>"
        + "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">total cycles</text>",
        l, h - b, w - 20, h - b, l, l, h - b, (l + w) / 2, h - 12, h / 2, h / 2));
    java.util.function.DoubleUnaryOperator px = m -> l + (m - minM) / (maxM - minM) * (w - 20 - l);
    java.util.function.DoubleUnaryOperator py = c -> h - b - c / maxC * (h - b - 30);
    for (long sz : ok.stream().map(Sweep.Result::sramSize).distinct().toList()) {
      double x = px.applyAsDouble(Math.log10(sz));
      sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", x, h - b + 14,
          sz >= 1 << 20 ? (sz >> 20) + " MiB" : (sz >> 10) + " KiB"));
    }
    for (int t = 0; t <= 4; t++) {
      double c = maxC * t / 4;
      sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%,.0f</text>", l - 4,
          py.applyAsDouble(c) + 4, c));
    }
    List<Integer> front = pareto(rs);
    List<Sweep.Result> f = new ArrayList<>(front.stream().map(rs::get).toList());
    f.sort(java.util.Comparator.comparingLong(Sweep.Result::sramSize));
    StringBuilder pts = new StringBuilder();
    for (Sweep.Result r : f) {
      pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(Math.log10(r.sramSize())),
          py.applyAsDouble(r.cycles())));
    }
    sb.append("<polyline fill=\"none\" stroke=\"#e15759\" stroke-width=\"2\" points=\"").append(pts).append("\"/>");
    for (int i = 0; i < rs.size(); i++) {
      Sweep.Result r = rs.get(i);
      if (r.error().isPresent()) {
        continue;
      }
      boolean onFront = front.contains(i);
      sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"><title>%s: %d cycles"
          + "</title></circle>", px.applyAsDouble(Math.log10(r.sramSize())) + (i % 6 - 2.5) * 3,
          py.applyAsDouble(r.cycles()), onFront ? 5 : 3, onFront ? "#e15759" : "#4e79a7", esc(r.target()),
          r.cycles()));
    }
    return sb.append("</svg>").toString();
  }

  /** A self-contained page: the two charts and the table. */
  public static String html(List<Sweep.Result> rs, String model) {
    String title = "kiln sweep " + model;
    StringBuilder sb = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>")
        .append(esc(title)).append("</title></head><body><h1>").append(esc(title)).append("</h1>");
    sb.append(barsSvg(rs, "Accelerated cycles by subgraph kind")).append("<br>");
    sb.append(paretoSvg(rs, "Cycles against on-chip memory (Pareto front in red)"));
    sb.append("<pre>").append(esc(table(rs))).append("</pre></body></html>\n");
    return sb.toString();
  }
}
