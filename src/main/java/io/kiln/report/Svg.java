package io.kiln.report;

import java.util.List;
import java.util.Locale;

/**
 * Self-contained SVG charts for reports and benchmarks (no script, no library): the frame that
 * every chart shares, and a line chart of a few series over categorical x values, on a linear or
 * a logarithmic y axis. {@code kiln sweep}'s charts and the systolic benchmark's design-space
 * charts are drawn with it.
 */
public final class Svg {
  /** Series colours, in order. */
  public static final String[] COLORS = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#bab0ac"};

  private Svg() {}

  /** One line of a chart: its name in the legend and one value per x category. */
  public record Series(String name, List<Double> values) {
    public Series {
      values = List.copyOf(values);
    }
  }

  /** Text made safe for SVG (and HTML) content. */
  public static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** The opening of a chart: the root element, a white background and the title. */
  public static String open(int width, int height, String title) {
    return String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
        + "font-size=\"11\"><rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>"
        + "<text x=\"10\" y=\"20\" font-size=\"14\">%s</text>", width, height, esc(title));
  }

  /**
   * A line chart: x categories evenly spaced, each series a polyline with a marker per value
   * (hover shows the value), a legend, axis labels, and y ticks: five from 0 up to a round maximum,
   * or one per decade on a log axis, where every value must be positive; {@code unit} follows each tick and hover value ({@code "%"}, or empty).
   */
  public static String lines(String title, String xLabel, String yLabel, List<String> xs, List<Series> series,
      boolean logY, String unit) {
    if (xs.isEmpty() || series.isEmpty()) {
      throw new IllegalArgumentException("a line chart needs x values and a series");
    }
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    for (Series s : series) {
      if (s.values().size() != xs.size()) {
        throw new IllegalArgumentException(s.name() + " has " + s.values().size() + " values for " + xs.size() + " x");
      }
      for (double v : s.values()) {
        if (logY && !(v > 0)) {
          throw new IllegalArgumentException(s.name() + ": " + v + " on a log axis");
        }
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    double min = logY ? Math.floor(Math.log10(lo)) : 0;
    double max = logY ? Math.ceil(Math.log10(hi)) : (hi <= 0 ? 1 : niceCeil(hi * 1.02));
    if (max <= min) {
      max = min + 1;
    }
    int w = 640;
    int h = 360;
    int l = 80;
    int r = 40;
    int top = 50;
    int b = 50;
    double y0 = min;
    double y1 = max;
    java.util.function.DoubleUnaryOperator px = i -> l + (xs.size() == 1 ? 0.5 : i / (xs.size() - 1.0))
        * (w - l - r);
    java.util.function.DoubleUnaryOperator py = v -> h - b - ((logY ? Math.log10(v) : v) - y0) / (y1 - y0)
        * (h - b - top);
    StringBuilder sb = new StringBuilder(open(w, h, title));
    sb.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>"
        + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>"
        + "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>"
        + "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">%s</text>",
        l, h - b, w - r, h - b, l, top, l, h - b, (l + w - r) / 2, h - 12, esc(xLabel), (top + h - b) / 2,
        (top + h - b) / 2, esc(yLabel + (logY ? " (log scale)" : ""))));
    // A log axis has a tick per decade, a linear one five from 0.
    int ticks = logY ? (int) (max - min) : 4;
    for (int t = 0; t <= ticks; t++) {
      double v = logY ? Math.pow(10, min + t) : max * t / 4;
      double y = py.applyAsDouble(v);
      sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>"
          + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", l, y, w - r, y, l - 4, y + 4, number(v) + unit));
    }
    for (int i = 0; i < xs.size(); i++) {
      sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
          px.applyAsDouble(i), h - b + 14, esc(xs.get(i))));
    }
    for (int s = 0; s < series.size(); s++) {
      Series se = series.get(s);
      String color = COLORS[s % COLORS.length];
      StringBuilder pts = new StringBuilder();
      for (int i = 0; i < xs.size(); i++) {
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(i), py.applyAsDouble(se.values().get(i))));
      }
      sb.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\" points=\"")
          .append(pts.toString().trim()).append("\"/>");
      for (int i = 0; i < xs.size(); i++) {
        double v = se.values().get(i);
        sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s, %s: %s"
            + "</title></circle>", px.applyAsDouble(i), py.applyAsDouble(v), color, esc(se.name()), esc(xs.get(i)),
            number(v) + unit));
      }
      sb.append(String.format("<rect x=\"%d\" y=\"30\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"39\">"
          + "%s</text>", l + s * 120, color, l + s * 120 + 14, esc(se.name())));
    }
    return sb.append("</svg>\n").toString();
  }

  /** The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least {@code v} (positive). */
  static double niceCeil(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  /** A tick or hover value: grouped integers from 100 up, else up to three significant digits. */
  static String number(double v) {
    if (Math.abs(v) >= 100) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
  }
}
