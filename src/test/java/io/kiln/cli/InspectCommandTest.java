package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.testing.Golden;
import org.junit.jupiter.api.Test;

class InspectCommandTest {

  @Test
  void tableForDsCnnMatchesGolden() {
    CliRunner.Result r = kiln("inspect", "builtin:ds_cnn");
    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
    Golden.assertMatches("cli/inspect_ds_cnn.txt", r.out());
  }

  @Test
  void tableForResnetHasOneRowPerOperatorAndTotals() {
    CliRunner.Result r = kiln("inspect", "builtin:resnet");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("model resnet", "totals: 16 ops, 12,501,632 MACs");
    assertThat(r.out().lines().filter(l -> l.matches("\\s*\\d+\\s+\\w+.*"))).hasSize(16);
  }

  @Test
  void jsonParsesAndCarriesTheSameNumbers() throws Exception {
    CliRunner.Result r = kiln("inspect", "--json", "builtin:ds_cnn");
    assertThat(r.code()).isZero();
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.get("model").asText()).isEqualTo("ds_cnn");
    assertThat(j.get("totals").get("macs").asLong()).isEqualTo(2_656_768L);
    assertThat(j.get("totals").get("ops").asInt()).isEqualTo(13);
    JsonNode ops = j.get("operators");
    assertThat(ops).hasSize(13);
    JsonNode conv = ops.get(0);
    assertThat(conv.get("op").asText()).isEqualTo("Conv2D");
    assertThat(conv.get("macs").asLong()).isEqualTo(320_000L);
    assertThat(conv.get("inputs").get(0).get("constant").asBoolean()).isFalse();
    JsonNode filter = conv.get("inputs").get(1);
    assertThat(filter.get("constant").asBoolean()).isTrue();
    assertThat(filter.get("dtype").asText()).isEqualTo("i8");
    assertThat(filter.get("shape").toString()).isEqualTo("[64,10,4,1]");
    assertThat(filter.get("quant").get("axis").asInt()).isZero();
    assertThat(filter.get("quant").get("scales")).hasSize(64);
    assertThat(conv.get("output").get("quant").get("zeroPoint").asLong()).isEqualTo(-128);
    assertThat(j.get("outputs").get(0).get("quant").get("scale").asDouble())
        .isEqualTo(1.0 / 256);
  }

  @Test
  void missingModelFileIsOneLineExitTwo() {
    CliRunner.Result r = kiln("inspect", "/nonexistent/kws.tflite");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("kiln: model file not found: /nonexistent/kws.tflite"
        + System.lineSeparator());
    assertThat(r.out()).isEmpty();
  }

  @Test
  void badExtensionIsOneLineExitTwo() {
    CliRunner.Result r = kiln("inspect", "model.h5");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: cannot tell the format of model 'model.h5':"
        + " expected a .tflite file, a .onnx file or builtin:NAME");
  }

  @Test
  void unknownBuiltinIsOneLineExitTwo() {
    CliRunner.Result r = kiln("inspect", "builtin:alexnet", "--debug");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines().findFirst()).hasValue("kiln: unknown built-in model 'alexnet';"
        + " available: builtin:ds_cnn, builtin:resnet, builtin:resnet50, builtin:vgg16");
  }

  @Test
  void missingModelArgumentIsAUsageError() {
    CliRunner.Result r = kiln("inspect");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: Missing required parameter: 'MODEL'")
        .endsWith("(see 'kiln inspect --help')").doesNotContain("\n");
  }
}
