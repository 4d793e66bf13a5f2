package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.testing.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kiln plan} and {@code kiln compile} read one plan: for every MLPerf Tiny model and
 * target their JSON reports agree on every layer (unit, rejections, tiles, L1 and DMA bytes,
 * estimated cycles) and on the totals and the weight placement.
 */
class PlanCompileAgreementTest {
  static final String[] MODELS = {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"};

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String m : MODELS) {
      all.add(Arguments.of(m, "dla", List.of()));
      all.add(Arguments.of(m, "dla:pe=128,sram=1MiB,par=input,dw=native", List.of()));
      all.add(Arguments.of(m, "dla:pe=64,sram=512KiB,par=output,dw=emulated", List.of()));
      all.add(Arguments.of(m, "dla:pe=128,sram=256MiB,par=input,dw=unsupported", List.of()));
      all.add(Arguments.of(m, "diana", List.of("--policy", "digital")));
      all.add(Arguments.of(m, "diana", List.of("--policy", "analog", "--ternarize")));
      all.add(Arguments.of(m, "diana", List.of("--policy", "mixed", "--ternarize")));
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} on {1} {2}")
  @MethodSource("cases")
  void planAndCompileAgree(String model, String target, List<String> flags, @TempDir Path tmp) throws Exception {
    String file = SharedModels.file("mlperf-tiny/" + model + ".tflite").toString();
    List<String> plan = new ArrayList<>(List.of("plan", file, "--target", target, "--json",
        tmp.resolve("plan.json").toString()));
    plan.addAll(flags);
    List<String> compile = new ArrayList<>(List.of("compile", file, "--target", target, "-o",
        tmp.resolve("out").toString(), "--no-object-sizes", "--json", tmp.resolve("compile.json").toString()));
    compile.addAll(flags);
    CliRunner.Result p = kiln(plan.toArray(String[]::new));
    assertThat(p.code()).as(p.err()).isZero();
    CliRunner.Result c = kiln(compile.toArray(String[]::new));
    assertThat(c.code()).as(c.err()).isZero();
    ObjectMapper m = new ObjectMapper();
    JsonNode pj = m.readTree(Files.readString(tmp.resolve("plan.json")));
    JsonNode cj = m.readTree(Files.readString(tmp.resolve("compile.json")));
    for (String field : List.of("layers", "totals", "placement", "target", "policy")) {
      assertThat(cj.get(field)).as(field).isEqualTo(pj.get(field));
    }
    assertThat(pj.get("layers").size()).isPositive();
  }
}
