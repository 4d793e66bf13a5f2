package io.kiln.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.DeploymentCodegen;
import io.kiln.codegen.DeploymentCodegenTest;
import io.kiln.codegen.NativeBuild;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.plan.weights.NmTiles;
import io.kiln.prune.LayerSelection;
import io.kiln.prune.Pruning;
import io.kiln.target.HardwareDescription;
import io.kiln.testing.SharedModels;
import io.kiln.testing.SparseLayers;
import io.kiln.testing.TestTargets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real ResNet8 (float {@code pretrainedResnet}, its 3x3 convolutions pruned N:M, quantized with
 * power-of-two scales) on DIANA's digital unit with sparse support: every pruned layer runs there
 * with N:M weight tiles, the plan passes the deployment checker, and the generated program under
 * ASan/UBSan equals the interpreter on the lowered graph on the rand16 samples.
 */
class SparseResnetDianaTest {

  @ParameterizedTest(name = "{0}, weight memory {1} B, L1 {2} B")
  @CsvSource({"4, 65536, 262144", "16, 4096, 32768"})
  void prunedResnetRunsSparseOnTheDigitalUnit(int m, long weights, long l1, @TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    Path models = SharedModels.file("mlperf-tiny");
    Graph floatGraph = TfliteImporter.load(models.resolve(MlperfPtq.RESNET.floatModel()));
    Graph pruned = Pruning.apply(floatGraph, new Encoding.NM(1, m), LayerSelection.parse("conv3x3")).graph();
    var pin = TfliteImporter.load(models.resolve(MlperfPtq.RESNET.publishedModel())).inputValues().get(0);
    List<List<Tensor>> calibration = MlperfPtq.randomInputs(pin, MlperfPtq.CALIBRATION_SEED, 8);
    QuantizeOptions options = QuantizeOptions.DEFAULTS.withPerChannel(true).withScales(QuantizeOptions.ScaleMode.POW2);
    Graph g = Pipeline.DEFAULT.apply(PostTrainingQuantizer.quantize(pruned, calibration, options));
    HardwareDescription hw = TestTargets.withBudgets(SparseLayers.diana(), l1, weights);
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.named("digital"), false, SolverKind.BNB));
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    long sparse = p.plan().calls().stream().map(Step.AcceleratorCall::blobLayout)
        .filter(b -> b.isPresent() && b.get().weights() instanceof NmTiles nm && nm.format().m() == m).count();
    // ResNet8 has seven 3x3 convolutions.
    assertThat(sparse).isEqualTo(7);
    for (Map.Entry<String, String> f : DeploymentCodegen.emit(p.plan()).entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    Path host = NativeBuild.compile(dir, NativeBuild.SANITIZE, "kiln_host", DeploymentCodegenTest.SOURCES);
    byte[] in = Files.readAllBytes(SharedModels.file("reference-outputs/pretrainedResnet_quant/rand16.in.bin"));
    assertThat(NativeBuild.run(host, List.of(in), 16, 1).get(0))
        .isEqualTo(DeploymentCodegenTest.interpret(p.plan().graph(), in));
  }
}
