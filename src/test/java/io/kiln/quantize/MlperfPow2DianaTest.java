package io.kiln.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.DeploymentCodegen;
import io.kiln.codegen.DeploymentCodegenTest;
import io.kiln.codegen.NativeBuild;
import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Power-of-two models that {@code kiln quantize --per-channel --scales pow2} makes from the MLPerf
 * Tiny float models deploy on DIANA under the digital, analog and mixed policies: every conv,
 * depthwise and fully-connected layer runs on an array (or its rejections name the rules), and the
 * generated program equals the lowered graph byte for byte under ASan/UBSan.
 */
class MlperfPow2DianaTest {
  private static final Map<MlperfPtq.Case, Graph> QUANTIZED = new java.util.concurrent.ConcurrentHashMap<>();

  static Stream<org.junit.jupiter.params.provider.Arguments> cases() {
    return Stream.of(MlperfPtq.VWW, MlperfPtq.RESNET, MlperfPtq.AD).flatMap(c -> Stream.of("digital", "analog",
        "mixed").map(p -> org.junit.jupiter.params.provider.Arguments.of(c, p)));
  }

  /** The model {@code kiln quantize --per-channel --scales pow2} makes, once per run. */
  private static Graph pow2(MlperfPtq.Case c) {
    return QUANTIZED.computeIfAbsent(c, k -> {
      QuantizeOptions options = QuantizeOptions.DEFAULTS.withPerChannel(true)
          .withScales(QuantizeOptions.ScaleMode.POW2);
      return Pipeline.DEFAULT.apply(MlperfPtq.run(SharedModels.file("mlperf-tiny"), k, 8, 1, options).kiln());
    });
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void pow2ModelsRunOnDiana(MlperfPtq.Case c, String policy, @TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    Graph g = pow2(c);
    HardwareDescription hw = Targets.resolve("diana");
    // The analog array takes ternary weights: those policies ternarize (the digital one needs not).
    boolean ternarize = !policy.equals("digital");
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.named(policy), ternarize, SolverKind.BNB));
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    int accelerated = 0;
    for (DispatchResult.LayerDispatch l : p.plan().dispatch().layers()) {
      boolean weighted = Op.constantSlots(l.node().op()).isPresent();
      if (!weighted) {
        continue;
      }
      if (hw.accelerator(l.unit()).isPresent()) {
        accelerated++;
      } else {
        assertThat(l.rejections()).as("%s on %s", l.node().op().opName(), l.unit()).isNotEmpty();
      }
    }
    assertThat(accelerated).isPositive();
    for (Map.Entry<String, String> f : DeploymentCodegen.emit(p.plan()).entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    Path host = NativeBuild.compile(dir, NativeBuild.SANITIZE, "kiln_host", DeploymentCodegenTest.SOURCES);
    // The rand16 samples of the published int8 twin: the same int8 shape, uniform bytes.
    String twin = c.publishedModel().replace(".tflite", "");
    byte[] in = Files.readAllBytes(SharedModels.file("reference-outputs/" + twin + "/rand16.in.bin"));
    assertThat(in).hasSize((int) g.inputValues().get(0).type().bytes() * 16);
    assertThat(NativeBuild.run(host, List.of(in), 16, 1).get(0))
        .isEqualTo(DeploymentCodegenTest.interpret(p.plan().graph(), in));
  }
}
