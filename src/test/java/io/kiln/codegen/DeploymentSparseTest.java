package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.prune.LayerSelection;
import io.kiln.prune.Pruning;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The N:M layers a deployment leaves on the CPU get the kernel {@code --sparse} chooses, as in a
 * CPU-only compile, and the program stays byte-identical to the interpreter on the lowered graph:
 * the MLPerf Tiny int8 ResNet8 pruned as {@code kiln prune} prunes an int8 model, and the DS-CNN
 * built-in pruned as {@code bench/sparse.sh} prunes it, on the DLA and on DIANA (whose units
 * declare no N:M format, so those layers stay on the CPU), built with -Werror or ASan/UBSan and
 * run on the host HAL.
 */
class DeploymentSparseTest {
  @TempDir
  Path tmp;

  /** {@code model} after the default passes, its {@code layers} pruned to {@code f}. */
  static Graph pruned(String model, Encoding.NM f, String layers) {
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(model));
    return Pipeline.DEFAULT.apply(Pruning.apply(g, f, LayerSelection.parse(layers)).graph());
  }

  private static String resnet() {
    return SharedModels.file("mlperf-tiny/pretrainedResnet_quant.tflite").toString();
  }

  private static Planner.Planned plan(Graph g, String target, String policy) {
    HardwareDescription hw = Targets.resolve(target);
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(
        policy == null ? Policy.defaultFor(hw) : Policy.named(policy), false, SolverKind.BNB));
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    return p;
  }

  /** The nodes of the lowered graph with N:M weights that the plan leaves on the CPU. */
  private static Set<Integer> sparseCpuLayers(Planner.Planned p) {
    Graph g = p.plan().graph();
    return p.plan().steps().stream().filter(s -> s instanceof Step.CpuKernel)
        .map(s -> ((Step.CpuKernel) s).node()).filter(k -> {
          Node n = g.nodes().get(k);
          return n.inputs().stream().anyMatch(v -> g.value(v).type().encoding() instanceof Encoding.NM);
        }).collect(Collectors.toSet());
  }

  /** Generates, builds with {@code flags}, runs on {@code samples} and compares with the interpreter. */
  private DeploymentCodegen.Program buildAndCompare(Planner.Planned p, CodegenOptions.SparseKernels mode,
      String name, List<String> flags, byte[] in) throws Exception {
    DeploymentCodegen.Program prog = DeploymentCodegen.program(p.plan(), CodegenOptions.defaults().withSparse(mode));
    Path dir = Files.createDirectories(tmp.resolve(name));
    for (Map.Entry<String, String> f : prog.files().entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    Path host = NativeBuild.compile(dir, flags, "kiln_host", DeploymentCodegenTest.SOURCES);
    int samples = in.length / (int) p.plan().graph().inputValues().get(0).type().bytes();
    byte[] out = NativeBuild.run(host, List.of(in), samples, 1).get(0);
    assertThat(out).as(name).isEqualTo(DeploymentCodegenTest.interpret(p.plan().graph(), in));
    return prog;
  }

  /** The report rows of {@code layers}, by node. */
  private static Map<Integer, CompileResult.Layer> rows(DeploymentCodegen.Program prog, Set<Integer> layers) {
    Map<Integer, CompileResult.Layer> m = prog.cpuLayers().stream().filter(l -> layers.contains(l.index()))
        .collect(Collectors.toMap(CompileResult.Layer::index, l -> l));
    assertThat(m.keySet()).isEqualTo(layers);
    return m;
  }

  private static byte[] rand16(String model) throws Exception {
    return Files.readAllBytes(SharedModels.file("reference-outputs/" + model + "/rand16.in.bin"));
  }

  @Test
  void prunedResnetOnTheDlaRunsSparseKernelsBitExactly() throws Exception {
    NativeBuild.assumeGcc();
    Encoding.NM f = new Encoding.NM(1, 16);
    Planner.Planned p = plan(pruned(resnet(), f, "conv3x3"), "dla", null);
    Set<Integer> sparse = sparseCpuLayers(p);
    assertThat(sparse).as("N:M layers the DLA leaves on the CPU").isNotEmpty();
    byte[] in = rand16("pretrainedResnet_quant");
    // auto: 1:16 beats the dense kernel by the host estimate, as in kiln compile --target cpu.
    DeploymentCodegen.Program auto = buildAndCompare(p, CodegenOptions.SparseKernels.AUTO, "auto",
        NativeBuild.SANITIZE, in);
    String model = auto.files().get("kiln_model.c");
    for (CompileResult.Layer l : rows(auto, sparse).values()) {
      assertThat(l.kernel()).isEqualTo("sparse-1:16");
      assertThat(l.kernelReason()).startsWith("1:16 sparse:");
      assertThat(model).contains("static void kiln_l" + l.index() + "_conv2d_sparse(");
      assertThat(model).containsPattern("\\n  kiln_l" + l.index() + "_conv2d_sparse\\(");
    }
    assertThat(auto.files().get("kiln_weights.c")).contains("nm_values").contains("nm_offsets");
    DeploymentCodegen.Program never = buildAndCompare(p, CodegenOptions.SparseKernels.NEVER, "never",
        NativeBuild.STRICT, in);
    assertThat(never.files().get("kiln_model.c")).doesNotContain("_sparse(");
    for (CompileResult.Layer l : rows(never, sparse).values()) {
      assertThat(l.kernel()).isEqualTo("plain-c");
      assertThat(l.kernelReason()).startsWith("1:16 weights stay dense: sparse kernels switched off");
    }
  }

  @Test
  void dianaKeepsItsCpuLayersSparseWhenAskedAndDenseWhenTheEstimateSaysSo() throws Exception {
    NativeBuild.assumeGcc();
    Encoding.NM f = new Encoding.NM(1, 4);
    Planner.Planned p = plan(pruned(resnet(), f, "conv"), "diana", "digital");
    Set<Integer> sparse = sparseCpuLayers(p);
    assertThat(sparse).as("N:M layers DIANA leaves on the CPU").isNotEmpty();
    byte[] in = rand16("pretrainedResnet_quant");
    DeploymentCodegen.Program always = buildAndCompare(p, CodegenOptions.SparseKernels.ALWAYS, "always",
        NativeBuild.SANITIZE, in);
    for (CompileResult.Layer l : rows(always, sparse).values()) {
      assertThat(l.kernel()).isEqualTo("sparse-1:4");
      assertThat(l.kernelReason()).startsWith("1:4 sparse (requested)");
      assertThat(always.files().get("kiln_model.c")).contains("  kiln_l" + l.index() + "_conv2d_sparse(");
    }
    // auto: on the host's costs 1:4 loses to the vectorized dense kernel, so it stays dense.
    DeploymentCodegen.Program auto = DeploymentCodegen.program(p.plan(), CodegenOptions.defaults());
    for (CompileResult.Layer l : rows(auto, sparse).values()) {
      assertThat(l.kernel()).isEqualTo("plain-c");
      assertThat(l.kernelReason()).startsWith("1:4 weights stay dense: the sparse kernel is estimated at");
    }
  }

  @Test
  void prunedDsCnnOnDianaAndTheDlaMatchesTheInterpreter() throws Exception {
    NativeBuild.assumeGcc();
    Graph g = pruned("builtin:ds_cnn", new Encoding.NM(1, 8), "conv");
    byte[] in = new byte[(int) g.inputValues().get(0).type().bytes() * 3];
    new SplittableRandom(13).nextBytes(in);
    for (String target : List.of("diana", "dla")) {
      Planner.Planned p = plan(g, target, null);
      Set<Integer> sparse = sparseCpuLayers(p);
      assertThat(sparse).as(target).isNotEmpty();
      DeploymentCodegen.Program always = buildAndCompare(p, CodegenOptions.SparseKernels.ALWAYS,
          "dscnn-" + target, NativeBuild.SANITIZE, in);
      assertThat(rows(always, sparse).values()).as(target)
          .allMatch(l -> l.kernel().equals("sparse-1:8"));
    }
  }

  @Test
  void deploymentKernelsArePortableC() {
    Planner.Planned p = plan(pruned("builtin:ds_cnn", new Encoding.NM(1, 8), "conv"), "dla", null);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> DeploymentCodegen.program(p.plan(),
        CodegenOptions.defaults().withCore(io.kiln.target.CpuCore.CORTEX_M4)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cortex-m4");
  }
}
