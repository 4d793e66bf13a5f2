package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln simulate}: the per-layer report, the JSON, a Chrome trace with a track per
 * resource, an HTML page that renders in headless Chromium without a script error, and one-line
 * errors for bad paths and inputs.
 */
class SimulateCommandTest {
  @Test
  void simulatesAndWritesEveryReport(@TempDir Path tmp) throws Exception {
    Path json = tmp.resolve("sim.json");
    Path trace = tmp.resolve("trace.json");
    Path html = tmp.resolve("sim.html");
    CliRunner.Result r = kiln("simulate", "builtin:ds_cnn", "--target", "dla", "--random-input", "1", "--json",
        json.toString(), "--trace", trace.toString(), "--html", html.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("sim cyc").contains("analytic").contains("critical resource")
        .contains("outputs: identical to the interpreter");
    ObjectMapper m = new ObjectMapper();
    JsonNode report = m.readTree(Files.readString(json));
    assertThat(report.get("check").get("matched").asBoolean()).isTrue();
    assertThat(report.get("layers").size()).isPositive();
    assertThat(report.get("totals").get("cycles").asLong()).isPositive();
    JsonNode events = m.readTree(Files.readString(trace)).get("traceEvents");
    Set<String> tracks = new HashSet<>();
    int complete = 0;
    for (JsonNode e : events) {
      if (e.get("ph").asText().equals("M") && e.get("name").asText().equals("thread_name")) {
        tracks.add(e.get("args").get("name").asText());
      }
      if (e.get("ph").asText().equals("X")) {
        complete++;
        assertThat(e.get("dur").asDouble()).isPositive();
      }
    }
    assertThat(tracks).contains("host", "dla", "dla_dma#0", "dla_dma#1");
    assertThat(complete).isPositive();
    // Self-contained: no script, style sheet or image fetched from anywhere.
    assertThat(Files.readString(html)).doesNotContain("<script src").doesNotContain("<link").doesNotContain("<img");
  }

  @Test
  void theHtmlPageRendersInHeadlessChromium(@TempDir Path tmp) throws Exception {
    Path chromium = Path.of("/usr/bin/chromium");
    if (!"true".equals(System.getenv("CI"))) {
      Assumptions.assumeTrue(Files.isExecutable(chromium), "chromium is not installed");
    }
    Path html = tmp.resolve("sim.html");
    CliRunner.Result r = kiln("simulate", "builtin:ds_cnn", "--target", "diana", "--random-input", "2",
        "--html", html.toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic", "--user-data-dir=" + tmp.resolve("profile"), "--dump-dom", html.toUri().toString()));
    Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("chromium.err").toFile()).start();
    String dom = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    // The page marks how many charts its script drew and any script error it saw.
    assertThat(dom).contains("data-rendered=\"").doesNotContain("data-errors=\"1\"").contains("<div id=\"errors\"></div>");
    String n = dom.replaceAll("(?s).*data-rendered=\"(\\d+)\".*", "$1");
    assertThat(Integer.parseInt(n)).as("gantt, three bar charts and a roofline per unit").isGreaterThanOrEqualTo(5);
    assertThat(dom.split("<rect", -1).length).as("bars drawn").isGreaterThan(20);
  }

  @Test
  void timingOnlyGivesTheSameCyclesWithoutExecuting(@TempDir Path tmp) throws Exception {
    Path full = tmp.resolve("full.json");
    Path timing = tmp.resolve("timing.json");
    for (String target : List.of("dla", "diana")) {
      assertThat(kiln("simulate", "builtin:ds_cnn", "--target", target, "--random-input", "4", "--json",
          full.toString()).code()).isZero();
      CliRunner.Result t = kiln("simulate", "builtin:ds_cnn", "--target", target, "--timing-only", "--json",
          timing.toString());
      assertThat(t.code()).as(t.err()).isZero();
      assertThat(t.out()).contains("not checked (timing only)");
      ObjectMapper m = new ObjectMapper();
      JsonNode a = m.readTree(Files.readString(full));
      JsonNode b = m.readTree(Files.readString(timing));
      assertThat(b.get("totals").get("cycles")).isEqualTo(a.get("totals").get("cycles"));
      assertThat(b.get("layers")).isEqualTo(a.get("layers"));
      assertThat(b.has("check")).isFalse();
    }
    CliRunner.Result both = kiln("simulate", "builtin:ds_cnn", "--target", "dla", "--timing-only", "--random-input",
        "1");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).contains("--timing-only executes nothing");
  }

  @Test
  void anUnwritableTracePathIsOneLine(@TempDir Path tmp) {
    CliRunner.Result r = kiln("simulate", "builtin:ds_cnn", "--target", "dla", "--random-input", "1", "--trace",
        tmp.resolve("no/such/dir/trace.json").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).doesNotContain("\n").contains("cannot write").contains("trace.json");
    CliRunner.Result dir = kiln("simulate", "builtin:ds_cnn", "--target", "dla", "--random-input", "1", "--html",
        tmp.toString());
    assertThat(dir.code()).isEqualTo(2);
    assertThat(dir.err().strip()).doesNotContain("\n").contains("is a directory");
  }

  @Test
  void anInputOfTheWrongSizeIsOneLine(@TempDir Path tmp) throws Exception {
    Path in = tmp.resolve("in.bin");
    Files.write(in, new byte[17]);
    CliRunner.Result r = kiln("simulate", "builtin:ds_cnn", "--target", "dla", "--input", in.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).doesNotContain("\n").contains("expected").contains("got 17");
  }
}
