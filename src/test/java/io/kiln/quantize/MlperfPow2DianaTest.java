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
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Power-of-two models that {@code kiln quantize --per-channel --scales pow2} makes from the MLPerf
 * Tiny float models deploy on DIANA's digital array: every conv, depthwise and fully-connected
 * layer runs there (or its rejection names the rule), and the generated program equals the
 * lowered graph byte for byte under ASan/UBSan.
 */
class MlperfPow2DianaTest {
  static Stream<MlperfPtq.Case> cases() {
    return Stream.of(MlperfPtq.VWW, MlperfPtq.RESNET, MlperfPtq.AD);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void pow2ModelsRunOnTheDigitalArray(MlperfPtq.Case c, @TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    QuantizeOptions options = QuantizeOptions.DEFAULTS.withPerChannel(true)
        .withScales(QuantizeOptions.ScaleMode.POW2);
    Graph g = Pipeline.DEFAULT.apply(MlperfPtq.run(SharedModels.file("mlperf-tiny"), c, 8, 1, options).kiln());
    HardwareDescription hw = Targets.resolve("diana");
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.named("digital"), false, SolverKind.BNB));
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    int accelerated = 0;
    for (DispatchResult.LayerDispatch l : p.plan().dispatch().layers()) {
      boolean weighted = Op.constantSlots(l.node().op()).isPresent();
      if (!weighted) {
        continue;
      }
      if (l.unit().equals("digital")) {
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
    byte[] in = new byte[(int) g.inputValues().get(0).type().bytes() * 4];
    new Random(16).nextBytes(in);
    assertThat(NativeBuild.run(host, List.of(in), 4, 1).get(0))
        .isEqualTo(DeploymentCodegenTest.interpret(p.plan().graph(), in));
  }
}
