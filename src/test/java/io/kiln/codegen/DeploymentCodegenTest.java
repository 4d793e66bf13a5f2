package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated program of a deployment, built with gcc -Werror and run on the host HAL, gives
 * byte for byte what the interpreter gives on the lowered graph, on the rand16 samples of the
 * MLPerf Tiny models (and, where the lowered graph is the int8 graph, TFLite Micro's outputs).
 */
public class DeploymentCodegenTest {
  static final String[] MODELS = {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"};
  static final String[] DLA = {"dla", "dla:pe=128,sram=1MiB,par=input,dw=native",
      "dla:pe=64,sram=512KiB,par=output,dw=emulated", "dla:pe=128,sram=256MiB,par=input,dw=unsupported"};
  public static final List<String> SOURCES = List.of("kiln_model.c", "kiln_weights.c", "kiln_memories.c",
      "kiln_hal_host.c", "kiln_hal_host_dla.c", "main_host.c");

  static Stream<Arguments> dla() {
    return Stream.of(MODELS).flatMap(m -> Stream.of(DLA).map(t -> Arguments.of(m, t)));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("dla")
  void hostProgramMatchesInterpreterAndTflm(String model, String target, @TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(SharedModels.file("mlperf-tiny/" + model + ".tflite").toString()));
    HardwareDescription hw = Targets.resolve(target);
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    for (Map.Entry<String, String> f : DeploymentCodegen.emit(p.plan()).entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    // Half the configurations under ASan/UBSan, half optimized: both must agree.
    boolean sanitize = target.equals(DLA[0]) || target.equals(DLA[2]);
    Path host = NativeBuild.compile(dir, sanitize ? NativeBuild.SANITIZE : NativeBuild.STRICT, "kiln_host", SOURCES);
    byte[] in = Files.readAllBytes(SharedModels.file("reference-outputs/" + model + "/rand16.in.bin"));
    byte[] out = NativeBuild.run(host, List.of(in), 16, 1).get(0);
    assertThat(out).isEqualTo(interpret(p.plan().graph(), in));
    byte[] tflm = Files.readAllBytes(SharedModels.file("reference-outputs/" + model + "/rand16.out.tflm.bin"));
    assertThat(out).isEqualTo(tflm);
  }

  static Stream<Arguments> diana() {
    return Stream.of(MODELS).flatMap(m -> Stream.of("digital", "analog", "mixed").map(p -> Arguments.of(m, p)));
  }

  /**
   * DIANA's arrays: shift-only output stages, ternary crossbar weights, 7-bit analog inputs and
   * fused residual Adds and poolings, so the program must equal the lowered graph.
   */
  @ParameterizedTest(name = "{0} on diana {1}, ternarized")
  @MethodSource("diana")
  void dianaProgramMatchesTheLoweredGraph(String model, String policy, @TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(SharedModels.file("mlperf-tiny/" + model + ".tflite").toString()));
    HardwareDescription hw = Targets.resolve("diana");
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.named(policy), true, SolverKind.BNB));
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    for (Map.Entry<String, String> f : DeploymentCodegen.emit(p.plan()).entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    Path host = NativeBuild.compile(dir, NativeBuild.SANITIZE, "kiln_host", SOURCES);
    byte[] in = Files.readAllBytes(SharedModels.file("reference-outputs/" + model + "/rand16.in.bin"));
    assertThat(NativeBuild.run(host, List.of(in), 16, 1).get(0)).isEqualTo(interpret(p.plan().graph(), in));
  }

  /**
   * A conv without a bias on a shift-only unit, with an input zero point: the unit's bias record
   * carries the folded zero point all the same.
   */
  @org.junit.jupiter.api.Test
  void aBiaslessShiftLayerKeepsItsZeroPoint(@TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    io.kiln.ir.GraphBuilder b = new io.kiln.ir.GraphBuilder("nobias");
    int x = b.input("x", io.kiln.ir.TensorType.quantized(io.kiln.ir.DType.INT8, io.kiln.ir.Shape.of(1, 8, 8, 16), 0.5, 7));
    java.util.Random r = new java.util.Random(3);
    int[] w = new int[32 * 3 * 3 * 16];
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextInt(3) - 1;
    }
    float[] ws = new float[32];
    java.util.Arrays.fill(ws, 0.25f);
    int wid = b.constant("w", new io.kiln.ir.TensorType(io.kiln.ir.DType.INT8, io.kiln.ir.Shape.of(32, 3, 3, 16),
        new io.kiln.ir.Quantization.PerAxis(0, ws, new long[32])), io.kiln.ir.ConstData.ofInts(io.kiln.ir.DType.INT8, w));
    int y = b.apply(new io.kiln.ir.Op.Conv2D(1, 1, 1, 1, new io.kiln.ir.Op.Pads(1, 1, 1, 1), io.kiln.ir.Op.Activation.NONE),
        List.of(x, wid), "y", io.kiln.ir.DType.INT8, io.kiln.ir.Quantization.perTensor(1.0, -3));
    b.output(y);
    Graph g = b.build();
    HardwareDescription hw = Targets.resolve("diana");
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.named("digital"), false, SolverKind.BNB));
    assertThat(p.plan().calls()).hasSize(1);
    for (Map.Entry<String, String> f : DeploymentCodegen.emit(p.plan()).entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    Path host = NativeBuild.compile(dir, NativeBuild.SANITIZE, "kiln_host", SOURCES);
    byte[] in = new byte[8 * 8 * 16 * 2];
    r.nextBytes(in);
    assertThat(NativeBuild.run(host, List.of(in), 2, 1).get(0)).isEqualTo(interpret(p.plan().graph(), in));
  }

  /** Standalone activations on the DLA run as lookup-table jobs, bit-exact with the interpreter. */
  @org.junit.jupiter.api.Test
  void standaloneActivationsRunAsLookupTables(@TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    io.kiln.ir.Op[] ops = {new io.kiln.ir.Op.Relu(), new io.kiln.ir.Op.Relu6(), new io.kiln.ir.Op.Tanh()};
    double[] scales = {0.5, 1.0, 1.0 / 128};
    for (int i = 0; i < ops.length; i++) {
      io.kiln.testing.PlanGraphs b = new io.kiln.testing.PlanGraphs(i);
      int x = b.input(12, 12, 8, 0.5);
      int y = b.conv(x, 16, 3, 1, 1, 0.25, 1.0, io.kiln.ir.Op.Activation.NONE);
      Graph g = b.build(b.unary(ops[i], y, scales[i]));
      HardwareDescription hw = io.kiln.testing.TestTargets.withMemory(Targets.resolve("dla"), "sram", 4096);
      Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
      assertThat(p.plan().calls()).as("%s", ops[i]).anyMatch(c -> c.node() == 1 && c.jobs().size() > 1);
      Path d = Files.createDirectories(dir.resolve("act" + i));
      for (Map.Entry<String, String> f : DeploymentCodegen.emit(p.plan()).entrySet()) {
        Files.writeString(d.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
      }
      Path host = NativeBuild.compile(d, NativeBuild.SANITIZE, "kiln_host", SOURCES);
      byte[] in = new byte[12 * 12 * 8 * 3];
      new java.util.Random(i).nextBytes(in);
      assertThat(NativeBuild.run(host, List.of(in), 3, 1).get(0)).as("%s", ops[i])
          .isEqualTo(interpret(p.plan().graph(), in));
    }
  }

  @org.junit.jupiter.api.Test
  void randomTiledLayersMatchTheInterpreterUnderSanitizers(@TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    java.util.Random r = new java.util.Random(42);
    int built = 0;
    for (int i = 0; built < 9 && i < 60; i++) {
      Planner.Planned p = io.kiln.testing.RandomLayers.plan(r);
      if (p.plan().calls().isEmpty()) {
        continue; // no tiling fit the cut SRAM: the CPU runs it, which other tests cover
      }
      Map<String, String> files;
      try {
        files = DeploymentCodegen.emit(p.plan());
      } catch (io.kiln.KilnException e) {
        // A standalone activation left on DIANA's host: the CPU backend has no kernel for it.
        assertThat(e.getMessage()).startsWith("the CPU target does not support");
        continue;
      }
      built++;
      Path d = Files.createDirectories(dir.resolve("case" + i));
      for (Map.Entry<String, String> f : files.entrySet()) {
        Files.writeString(d.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
      }
      Path host = NativeBuild.compile(d, NativeBuild.SANITIZE, "kiln_host", SOURCES);
      byte[] in = new byte[(int) p.plan().graph().inputValues().get(0).type().bytes() * 2];
      r.nextBytes(in);
      byte[] out = NativeBuild.run(host, List.of(in), 2, 1).get(0);
      assertThat(out).as("case %d: %s", i, p.plan().calls().get(0).tiling()).isEqualTo(interpret(p.plan().graph(), in));
    }
    assertThat(built).isEqualTo(9);
  }

  /** The interpreter's outputs of {@code g} on the samples {@code in}, concatenated. */
  public static byte[] interpret(Graph g, byte[] in) {
    Value v = g.inputValues().get(0);
    int size = (int) v.type().bytes();
    Interpreter interp = new Interpreter(g);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int s = 0; s + size <= in.length; s += size) {
      Tensor x = Tensor.fromBytes(v.dtype(), v.shape(), Arrays.copyOfRange(in, s, s + size));
      out.writeBytes(interp.run(new ArrayList<>(List.of(x))).get(0).toBytes());
    }
    return out.toByteArray();
  }
}
