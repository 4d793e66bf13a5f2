package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln sweep}: every point simulated and matched, an impossible point reported with its reason. */
class SweepCommandTest {
  @Test
  void sweepsTheCrossProductAndWritesEveryReport(@TempDir Path tmp) throws Exception {
    Path csv = tmp.resolve("s.csv");
    Path json = tmp.resolve("s.json");
    Path html = tmp.resolve("s.html");
    CliRunner.Result r = kiln("sweep", "builtin:ds_cnn", "--target", "dla", "--vary", "pe=64,128,100",
        "--vary", "dw=emulated,native", "--jobs", "2", "--csv", csv.toString(), "--json", json.toString(), "--html",
        html.toString(), "--svg", tmp.resolve("s").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err().lines()).hasSize(6).allMatch(l -> l.matches("\\[\\d/6\\] dla:pe=.*"));
    assertThat(r.out()).contains("dla:pe=100,dw=native").contains("cannot be planned:")
        .contains("6 points in").doesNotContain("OUTPUTS DIFFER");
    assertThat(Files.readAllLines(csv)).hasSize(7);
    JsonNode points = new ObjectMapper().readTree(Files.readString(json));
    assertThat(points.size()).isEqualTo(6);
    int failed = 0;
    for (JsonNode p : points) {
      if (p.has("error")) {
        failed++;
        assertThat(p.get("params").get("pe").asText()).isEqualTo("100");
      } else {
        assertThat(p.get("matched").asBoolean()).isTrue();
        assertThat(p.get("cycles").asLong()).isPositive();
        assertThat(p.get("cycles_by_kind").get("DEPTH").asLong()).isPositive();
      }
    }
    assertThat(failed).isEqualTo(2);
    long emulated = 0;
    long nativeDw = 0;
    for (JsonNode p : points) {
      if (p.has("error") || !p.get("params").get("pe").asText().equals("64")) {
        continue;
      }
      long depth = p.get("cycles_by_kind").get("DEPTH").asLong();
      if (p.get("params").get("dw").asText().equals("emulated")) {
        emulated = depth;
      } else {
        nativeDw = depth;
      }
    }
    assertThat(emulated).isGreaterThan(nativeDw);
    assertThat(Files.readString(html)).contains("<svg").contains("Pareto").contains("polyline");
    assertThat(Files.readString(tmp.resolve("s-bars.svg"))).startsWith("<svg").contains("DEPTH");
    assertThat(Files.readString(tmp.resolve("s-pareto.svg"))).contains("circle");
  }

  @Test
  void badVaryIsOneLine() {
    CliRunner.Result r = kiln("sweep", "builtin:ds_cnn", "--target", "dla", "--vary", "pe");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("kiln: --vary takes NAME=V1,V2,..., not 'pe'");
  }
}
