package io.kiln.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;

/** The line chart is well-formed SVG with one marker per value, placed in order, and refuses bad input. */
class SvgTest {

  static void parses(String svg) throws Exception {
    DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new java.io.ByteArrayInputStream(svg.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  @Test
  void aLineChartHasAMarkerPerValueHigherValuesHigherUp() throws Exception {
    String svg = Svg.lines("t <&>", "array", "images/s", List.of("32x32", "64x64", "128x128"),
        List.of(new Svg.Series("A", List.of(1.0, 10.0, 100.0)), new Svg.Series("B", List.of(5.0, 50.0, 500.0))),
        true, "");
    parses(svg);
    assertThat(svg).contains("t &lt;&amp;&gt;").contains("(log scale)");
    // Decades 1, 10, 100 and 1,000 on the log axis.
    assertThat(svg).contains(">1<").contains(">10<").contains(">100<").contains(">1,000<");
    Matcher m = Pattern.compile("<circle cx=\"([0-9.]+)\" cy=\"([0-9.]+)\"").matcher(svg);
    List<double[]> pts = new java.util.ArrayList<>();
    while (m.find()) {
      pts.add(new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))});
    }
    assertThat(pts).hasSize(6);
    // Left to right, and up (smaller y) as the value grows; B above A at every x.
    for (int i = 1; i < 3; i++) {
      assertThat(pts.get(i)[0]).isGreaterThan(pts.get(i - 1)[0]);
      assertThat(pts.get(i)[1]).isLessThan(pts.get(i - 1)[1]);
      assertThat(pts.get(3 + i)[1]).isLessThan(pts.get(i)[1]);
    }
    String linear = Svg.lines("t", "word", "idle", List.of("1"), List.of(new Svg.Series("A", List.of(0.0))), false,
        "%");
    parses(linear);
    assertThat(linear).contains(">0%<");
  }

  @Test
  void badChartsAreRefused() {
    List<Svg.Series> one = List.of(new Svg.Series("A", List.of(1.0, 2.0)));
    assertThatThrownBy(() -> Svg.lines("t", "x", "y", List.of("a"), one, false, ""))
        .hasMessageContaining("A has 2 values for 1 x");
    assertThatThrownBy(() -> Svg.lines("t", "x", "y", List.of("a", "b"),
        List.of(new Svg.Series("A", List.of(0.0, 2.0))), true, "")).hasMessageContaining("on a log axis");
    assertThatThrownBy(() -> Svg.lines("t", "x", "y", List.of(), one, false, "")).hasMessageContaining("needs x values");
  }

  @Test
  void numbersAreShortAndGrouped() {
    assertThat(Svg.number(0)).isEqualTo("0");
    assertThat(Svg.number(0.12345)).isEqualTo("0.123");
    assertThat(Svg.number(12.5)).isEqualTo("12.5");
    assertThat(Svg.number(3453.4)).isEqualTo("3,453");
    assertThat(Svg.niceCeil(96.1)).isEqualTo(100);
    assertThat(Svg.niceCeil(1.7)).isEqualTo(2);
    assertThat(Svg.niceCeil(2.2)).isEqualTo(2.5);
    assertThat(Svg.niceCeil(0.04)).isEqualTo(0.05, org.assertj.core.data.Offset.offset(1e-12));
  }
}
