package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.testing.Golden;
import io.kiln.testing.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln plan}: report, JSON, --strict, --solver, bad targets. */
class PlanCommandTest {
  static String model(String name) {
    return SharedModels.file("mlperf-tiny/" + name + ".tflite").toString();
  }

  @Test
  void reportHasLayersRejectionsAndTotals() {
    CliRunner.Result r = kiln("plan", model("kws_ref_model"), "--target", "diana");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("plan kws_ref_model on diana (policy weights, 260 MHz)")
        .contains("rejected by digital: kernel 10x4 not supported by diana.digital: supports"
            + " 1..7")
        .contains("totals:").contains("cycles:").contains("latency")
        .contains("weight placement (blobs 16-byte aligned for DMA bursts):")
        .containsPattern("    l2: [0-9,]+ B of weights in [0-9]+ blobs \\([0-9,]+ B padding\\) after the"
            + " 16,000 B arena, [0-9,]+ / 524,288 B used");
  }

  @Test
  void dispatchOnlyPlacesNoWeights(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("plan.json");
    CliRunner.Result r = kiln("plan", model("kws_ref_model"), "--target", "diana", "--dispatch-only",
        "--json", json.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("weights: not placed without layer plans");
    JsonNode root = new ObjectMapper().readTree(Files.readString(json));
    assertThat(root.get("totals").get("weight_placement").isNull()).isTrue();
    assertThat(root.get("layers").get(0).get("weights").isNull()).isTrue();
  }

  @Test
  void ternarizeWarnsAndUsesAnalog() {
    CliRunner.Result r = kiln("plan", model("pretrainedResnet_quant"), "--target", "diana",
        "--policy", "mixed", "--ternarize");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("warning: --ternarize").contains("changes the model's accuracy")
        .contains("converted the weights of 10 layers placed on ternary arrays");
    // Only the layers on the ternary array are ternarized: the int8 layers' rescalings are not
    // powers of two, so the shift-only digital array takes none of them.
    assertThat(r.out()).contains(" analog ").contains("rejected by digital: requant scale");
  }

  @Test
  void jsonParses(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("plan.json");
    CliRunner.Result r = kiln("plan", model("ad01_int8"), "--target",
        "dla:pe=128,sram=1MiB,par=input,dw=emulated", "--json", json.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode root = new ObjectMapper().readTree(Files.readString(json));
    assertThat(root.get("target").asText()).startsWith("dla");
    assertThat(root.get("layers")).hasSize(10);
    assertThat(root.get("totals").get("cycles").asLong()).isPositive();
    assertThat(root.get("layers").get(0).get("unit").asText()).isEqualTo("dla");
    // Each layer's blob: in DRAM after the arena, in the PEs' input-channel blocks.
    JsonNode totals = root.get("totals");
    long arena = totals.get("l2_arena_bytes").asLong();
    JsonNode w = root.get("layers").get(0).get("weights");
    assertThat(w.get("memory").asText()).isEqualTo("dram");
    assertThat(w.get("offset").asLong()).isGreaterThanOrEqualTo(arena).matches(o -> o % 16 == 0);
    assertThat(w.get("layout").asText()).isEqualTo("array_blocks K1 C128");
    // The rows and the totals come from one owner, so they add up.
    long cycles = 0;
    long weights = 0;
    for (JsonNode row : root.get("layers")) {
      cycles += row.get("cycles").asLong();
      weights += row.get("weights").isNull() ? 0 : row.get("weights").get("bytes").asLong();
    }
    assertThat(cycles).isEqualTo(totals.get("cycles").asLong());
    assertThat(weights).isEqualTo(totals.get("weight_bytes_by_memory").get("dram").asLong());
    JsonNode dram = totals.get("weight_placement").get("memories").get(0);
    assertThat(dram.get("memory").asText()).isEqualTo("dram");
    assertThat(dram.get("weight_bytes").asLong()).isEqualTo(weights);
    assertThat(dram.get("capacity_bytes").asLong()).isEqualTo(512L * 1024 * 1024);
  }

  @Test
  void strictFailsOnALayerNoAcceleratorTakes() {
    CliRunner.Result r = kiln("plan", model("kws_ref_model"), "--target", "diana", "--strict");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).doesNotContain("\n").startsWith("kiln: --strict: %3")
        .contains("kernel 10x4 not supported by diana.digital");
  }

  @Test
  void badTargetFileIsOneLineExit2(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "name: x\nclock: 100 MHz\n");
    CliRunner.Result r = kiln("plan", model("ad01_int8"), "--target", bad.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).doesNotContain("\n").startsWith("kiln: ").contains("bad.yaml");
  }

  @Test
  void unknownPolicyForTarget() {
    CliRunner.Result r = kiln("plan", model("ad01_int8"), "--target", "dla", "--policy",
        "analog");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).contains("policy analog needs an accelerator of kind analog_imc");
  }

  @Test
  void goldenDlaResnetPlansEveryAddOnTheAccelerator() {
    CliRunner.Result r = kiln("plan", model("pretrainedResnet_quant"), "--target", "dla");
    assertThat(r.code()).as(r.err()).isZero();
    Golden.assertMatches("plan/resnet_dla.txt", r.out());
    assertThat(r.out()).contains("Add              dla      add ").doesNotContain("estimate");
  }

  @Test
  void onlyDispatchWithoutPlanningEstimatesCycles() {
    CliRunner.Result planned = kiln("plan", model("kws_ref_model"), "--target", "dla");
    assertThat(planned.out()).doesNotContain("estimate");
    CliRunner.Result estimated = kiln("plan", model("kws_ref_model"), "--target", "dla", "--dispatch-only");
    assertThat(estimated.code()).as(estimated.err()).isZero();
    assertThat(estimated.out()).contains("(estimate: array-bound for accelerator layers without a tile plan)");
  }

  @Test
  void goldenDianaMixedTernarizedResnet() {
    CliRunner.Result r = kiln("plan", model("pretrainedResnet_quant"), "--target", "diana",
        "--policy", "mixed", "--ternarize");
    assertThat(r.code()).isZero();
    Golden.assertMatches("plan/resnet_diana_mixed_ternarize.txt", r.out());
  }

  @Test
  void everySolverGivesTheSamePlan() {
    // The solvers reach the same objective; on these layers the tiles, and so the report, agree.
    for (String solver : new String[] {"cpsat", "exhaustive"}) {
      CliRunner.Result r = kiln("plan", model("pretrainedResnet_quant"), "--target", "diana",
          "--policy", "mixed", "--ternarize", "--solver", solver);
      assertThat(r.code()).as(r.err()).isZero();
      Golden.assertMatches("plan/resnet_diana_mixed_ternarize.txt", r.out());
      CliRunner.Result dla = kiln("plan", model("pretrainedResnet_quant"), "--target", "dla",
          "--solver", solver);
      assertThat(dla.code()).as(dla.err()).isZero();
      Golden.assertMatches("plan/resnet_dla.txt", dla.out());
    }
  }

  @Test
  void unknownSolverIsOneLineListingTheChoices() {
    CliRunner.Result r = kiln("plan", model("ad01_int8"), "--target", "dla", "--solver", "gurobi");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: unknown solver 'gurobi' (solvers: bnb, cpsat, exhaustive)");
  }
}
