package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * int8 BATCH_MATMUL of two activations on the systolic unit: seeded random shapes (smaller and
 * larger than a 16x16 array, one batch and several, a right operand per batch, broadcast, or the
 * left operand itself transposed as in attention's x·xᵀ) with nonzero zero points on both
 * operands run as systolic calls, pass every deployment check, and give byte for byte what the
 * interpreter gives on the lowered graph in the simulator (the systolic data flow) and in the
 * generated program on the host HAL (gcc -Werror, ASan/UBSan). Matmuls the unit cannot take stay
 * on the CPU with the reason.
 */
class SystolicMatMulTest {
  @TempDir
  Path tmp;

  private static final String SMALL = "systolic:rows=16,cols=16";
  /** A small SRAM: the tiler must cut K, C and the rows. */
  private static final String TIGHT = "systolic:rows=16,cols=16,sram=2KiB";

  /** A matmul model: {@code lhs [batch..., m, d]} times a right operand built by {@code kind}. */
  private static Graph model(SplittableRandom r, String kind, int[] batch, int m, int d, int n) {
    GraphBuilder b = new GraphBuilder("mm_" + kind);
    float sa = 0.01f + r.nextInt(100) / 1000f;
    float sb = 0.01f + r.nextInt(100) / 1000f;
    long za = r.nextInt(-30, 31);
    long zb = r.nextInt(-30, 31);
    int[] a = concat(batch, m, d);
    int x = b.input("a", new TensorType(DType.INT8, Shape.of(a), new Quantization.PerTensor(sa, za)));
    int y;
    boolean adjY = false;
    int[] outBatch = batch;
    switch (kind) {
      case "xxt" -> {
        y = x;
        adjY = true;
        n = m;
      }
      case "broadcast" -> y = b.input("b", new TensorType(DType.INT8, Shape.of(d, n),
          new Quantization.PerTensor(sb, zb)));
      case "adj_y" -> {
        y = b.input("b", new TensorType(DType.INT8, Shape.of(concat(batch, n, d)),
            new Quantization.PerTensor(sb, zb)));
        adjY = true;
      }
      default -> y = b.input("b", new TensorType(DType.INT8, Shape.of(concat(batch, d, n)),
          new Quantization.PerTensor(sb, zb)));
    }
    float sy = kind.equals("xxt") ? sa : sb;
    // About one standard deviation of the sums per 40 output steps: outputs spread, few saturate.
    float so = (float) (sa * sy * 75.0 * 75.0 * Math.sqrt(d) / 40.0);
    int z = b.apply(new Op.BatchMatMul(false, adjY), List.of(x, y), "out", DType.INT8,
        new Quantization.PerTensor(so, r.nextInt(-20, 21)));
    b.output(z);
    return b.build();
  }

  private static int[] concat(int[] batch, int rows, int cols) {
    int[] s = java.util.Arrays.copyOf(batch, batch.length + 2);
    s[batch.length] = rows;
    s[batch.length + 1] = cols;
    return s;
  }

  private static Planner.Planned plan(Graph g, String target) {
    HardwareDescription hw = Targets.resolve(target);
    return Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
  }

  private static List<Tensor> inputs(Graph g, SplittableRandom r) {
    List<Tensor> out = new ArrayList<>();
    for (var v : g.inputValues()) {
      int[] q = new int[v.shape().elements()];
      for (int i = 0; i < q.length; i++) {
        q[i] = r.nextInt(-128, 128);
      }
      out.add(Tensor.ofInts(DType.INT8, v.shape(), q));
    }
    return out;
  }

  /** Plans on {@code target}, checks the plan, simulates and returns the plan's systolic call. */
  private static Step.AcceleratorCall planAndSimulate(Graph g, String target, List<Tensor> in) {
    Planner.Planned p = plan(g, target);
    assertThat(DeploymentChecker.check(p.plan())).as(g.name() + " on " + target).isEmpty();
    Step.AcceleratorCall call = p.plan().steps().stream().filter(s -> s instanceof Step.AcceleratorCall)
        .map(s -> (Step.AcceleratorCall) s).findFirst().orElseThrow(() -> new AssertionError(g.name()
            + " is not on the systolic unit: " + p.plan().dispatch().layers().get(0).rejections()));
    assertThat(call.unit().kind()).isEqualTo(Accelerator.Kind.SYSTOLIC);
    assertThat(call.blob()).as("the right operand comes from the arena, not a blob").isEmpty();
    Simulation s = Simulator.simulate(p.plan(), p.costs(), Simulator.CpuTiming.of(p.costs()), in, true, "first");
    assertThat(s.check().orElseThrow().firstMismatch()).as(g.name() + " on " + target).isEmpty();
    List<Tensor> want = new Interpreter(p.plan().graph()).run(in);
    assertThat(s.outputs().get(0).toBytes()).isEqualTo(want.get(0).toBytes());
    return call;
  }

  @Test
  void randomMatmulsSimulateAsTheInterpreter() {
    SplittableRandom r = new SplittableRandom(2026);
    String[] kinds = {"plain", "adj_y", "broadcast", "xxt"};
    boolean cutK = false;
    boolean cutC = false;
    boolean perBatch = false;
    for (int i = 0; i < 12; i++) {
      String kind = kinds[i % kinds.length];
      int[] batch = i % 3 == 0 ? new int[0] : i % 3 == 1 ? new int[] {1 + r.nextInt(3)} : new int[] {2, 2};
      boolean big = i % 2 == 1;
      int m = big ? 17 + r.nextInt(30) : 2 + r.nextInt(14);
      int d = big ? 17 + r.nextInt(120) : 1 + r.nextInt(15);
      int n = big ? 17 + r.nextInt(40) : 1 + r.nextInt(15);
      Graph g = model(r, kind, batch, m, d, n);
      List<Tensor> in = inputs(g, r);
      for (String t : new String[] {SMALL, TIGHT}) {
        Step.AcceleratorCall c = planAndSimulate(g, t, in);
        int batches = c.geometry().shape().oy();
        cutK |= c.jobs().stream().anyMatch(j -> j.k().length() < c.geometry().shape().k());
        cutC |= c.jobs().stream().anyMatch(j -> j.c().length() < c.geometry().shape().c());
        perBatch |= batches > 1 && c.geometry().weightsPerRow();
      }
    }
    assertThat(cutK).as("some plan cuts K").isTrue();
    assertThat(cutC).as("some plan cuts C").isTrue();
    assertThat(perBatch).as("some plan loads a right operand per batch").isTrue();
  }

  @Test
  void generatedProgramMatchesTheInterpreterUnderSanitizers() throws Exception {
    NativeBuild.assumeGcc();
    SplittableRandom r = new SplittableRandom(7);
    Object[][] cases = {{"plain", new int[] {3}, 20, 40, 33, TIGHT}, {"xxt", new int[] {2}, 18, 24, 0, SMALL},
        {"broadcast", new int[] {2}, 5, 19, 7, TIGHT}};
    for (Object[] c : cases) {
      Graph g = model(r, (String) c[0], (int[]) c[1], (int) c[2], (int) c[3], (int) c[4]);
      Planner.Planned p = plan(g, (String) c[5]);
      assertThat(DeploymentChecker.check(p.plan())).isEmpty();
      assertThat(p.plan().steps().get(0)).isInstanceOf(Step.AcceleratorCall.class);
      Path dir = Files.createDirectories(tmp.resolve(g.name()));
      for (Map.Entry<String, String> f : DeploymentCodegen.emit(p.plan()).entrySet()) {
        Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
      }
      boolean sanitize = !c[0].equals("broadcast");
      Path host = NativeBuild.compile(dir, sanitize ? NativeBuild.SANITIZE : NativeBuild.STRICT, "kiln_host",
          DeploymentCodegenTest.SOURCES);
      List<Tensor> in = inputs(g, r);
      byte[] out = NativeBuild.run(host, in.stream().map(Tensor::toBytes).toList(), 1, 1).get(0);
      assertThat(out).as(g.name()).isEqualTo(new Interpreter(p.plan().graph()).run(in).get(0).toBytes());
    }
  }

  /** The rejection of the only node by the systolic unit, as {@code kiln plan} prints it. */
  private static String rejection(Graph g, String target) {
    Planner.Planned p = plan(g, target);
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    DispatchResult.LayerDispatch l = p.plan().dispatch().layers().stream()
        .filter(x -> x.node().op() instanceof Op.BatchMatMul || x.node().op() instanceof Op.MatMul)
        .findFirst().orElseThrow();
    assertThat(l.unit()).isEqualTo("host");
    assertThat(p.plan().steps()).noneMatch(s -> s instanceof Step.AcceleratorCall);
    return l.rejections().stream().map(DispatchResult.Rejection::reason).reduce("", String::concat);
  }

  @Test
  void matmulsTheUnitCannotTakeStayOnTheCpuWithTheReason() {
    Quantization qa = new Quantization.PerTensor(0.05f, 3);
    Quantization qb = new Quantization.PerTensor(0.02f, -5);
    Quantization qo = new Quantization.PerTensor(0.3f, 1);
    // ONNX QLinearMatMul as imported: int32 accumulators, then a float (half-even) Quantize.
    GraphBuilder onnx = new GraphBuilder("qlinear");
    int a = onnx.input("a", new TensorType(DType.INT8, Shape.of(4, 6), qa));
    int b = onnx.input("b", new TensorType(DType.INT8, Shape.of(6, 5), qb));
    int acc = onnx.apply(new Op.MatMul(), List.of(a, b), "acc", DType.INT32,
        new Quantization.PerTensor(0.05f * 0.02f, 0));
    onnx.output(onnx.apply(new Op.Quantize(RequantScheme.FLOAT_HALF_EVEN), List.of(acc), "y", DType.INT8, qo));
    assertThat(rejection(onnx.build(), SMALL)).contains("QLinearMatMul").contains("float Quantize");
    // A transposed left operand.
    GraphBuilder adj = new GraphBuilder("adj_x");
    int x = adj.input("a", new TensorType(DType.INT8, Shape.of(6, 4), qa));
    int y = adj.input("b", new TensorType(DType.INT8, Shape.of(6, 5), qb));
    adj.output(adj.apply(new Op.BatchMatMul(true, false), List.of(x, y), "out", DType.INT8, qo));
    assertThat(rejection(adj.build(), SMALL)).contains("adj_x");
    // Constant weights: a fully-connected layer's job.
    GraphBuilder cst = new GraphBuilder("const_rhs");
    int ca = cst.input("a", new TensorType(DType.INT8, Shape.of(4, 6), qa));
    int[] w = new int[30];
    java.util.Arrays.setAll(w, i -> i * 7 % 200 - 100);
    int cw = cst.constant("w", new TensorType(DType.INT8, Shape.of(6, 5), qb), ConstData.ofInts(DType.INT8, w));
    cst.output(cst.apply(new Op.BatchMatMul(false, false), List.of(ca, cw), "out", DType.INT8, qo));
    assertThat(rejection(cst.build(), SMALL)).contains("constant right operand");
    // A left operand broadcast across the right one's batches.
    GraphBuilder bc = new GraphBuilder("broadcast_lhs");
    int la = bc.input("a", new TensorType(DType.INT8, Shape.of(4, 6), qa));
    int lb = bc.input("b", new TensorType(DType.INT8, Shape.of(3, 6, 5), qb));
    bc.output(bc.apply(new Op.BatchMatMul(false, false), List.of(la, lb), "out", DType.INT8, qo));
    assertThat(rejection(bc.build(), SMALL)).contains("broadcast");
    // The DLA declares a matmul pattern but runs no matmul jobs: planning refuses it there.
    GraphBuilder dla = new GraphBuilder("dla");
    int da = dla.input("a", new TensorType(DType.INT8, Shape.of(4, 6), qa));
    int db = dla.input("b", new TensorType(DType.INT8, Shape.of(6, 5), qb));
    dla.output(dla.apply(new Op.BatchMatMul(false, false), List.of(da, db), "out", DType.INT8, qo));
    Planner.Planned p = plan(dla.build(), "dla");
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    assertThat(p.plan().dispatch().layers().get(0).rejections().toString()).contains("no matmul jobs");
  }
}
