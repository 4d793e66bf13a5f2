package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.Accelerator;
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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plans on the systolic engine, tiled by its own tiler, pass every deployment check, and their
 * generated program, built with gcc -Werror and run on the host HAL, gives byte for byte what the
 * interpreter gives on the lowered graph (and TFLite Micro's outputs) on the rand16 samples of the
 * MLPerf Tiny models, under implicit and explicit im2col and on a small array whose SRAM forces
 * tiles.
 */
class SystolicCodegenTest {
  static final String[] TARGETS = {"systolic", "systolic:rows=32,cols=16,word=2,sram=16KiB,tiles=2",
      "systolic:rows=32,cols=16,word=2,sram=16KiB,im2col=explicit"};

  /**
   * The default core on every model; the small array, whose SRAM forces tiles, under implicit
   * (ASan/UBSan) and explicit im2col on the two smallest (the method changes the tiles, not the
   * lowered graph).
   */
  static Stream<Arguments> cases() {
    return Stream.concat(Stream.of(DeploymentCodegenTest.MODELS).map(m -> Arguments.of(m, TARGETS[0])),
        Stream.of("kws_ref_model", "ad01_int8").flatMap(m -> Stream.of(TARGETS[1], TARGETS[2])
            .map(t -> Arguments.of(m, t))));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void hostProgramMatchesInterpreterAndTflm(String model, String target, @TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(SharedModels.file("mlperf-tiny/" + model + ".tflite").toString()));
    HardwareDescription hw = Targets.resolve(target);
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    assertThat(p.plan().steps()).anyMatch(s -> s instanceof Step.AcceleratorCall c
        && c.unit().kind() == Accelerator.Kind.SYSTOLIC);
    if (!target.equals(TARGETS[0])) {
      // The small SRAM makes the tiler cut layers: the program streams tiles through it.
      assertThat(p.plan().steps()).anyMatch(s -> s instanceof Step.AcceleratorCall c && c.jobs().size() > 1);
    }
    for (Map.Entry<String, String> f : DeploymentCodegen.emit(p.plan()).entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    boolean sanitize = target.equals(TARGETS[1]);
    Path host = NativeBuild.compile(dir, sanitize ? NativeBuild.SANITIZE : NativeBuild.STRICT, "kiln_host",
        DeploymentCodegenTest.SOURCES);
    byte[] in = Files.readAllBytes(SharedModels.file("reference-outputs/" + model + "/rand16.in.bin"));
    byte[] out = NativeBuild.run(host, List.of(in), 16, 1).get(0);
    assertThat(out).isEqualTo(DeploymentCodegenTest.interpret(p.plan().graph(), in));
    byte[] tflm = Files.readAllBytes(SharedModels.file("reference-outputs/" + model + "/rand16.out.tflm.bin"));
    assertThat(out).isEqualTo(tflm);
  }
}
