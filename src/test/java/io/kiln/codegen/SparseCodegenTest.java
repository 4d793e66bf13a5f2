package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.NmWeights;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import io.kiln.prune.NmPruner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The N:M sparse kernels are exact: on seeded random conv + fully-connected networks for every
 * format (input channels not a multiple of M, padded taps, groups whose kept weight is 0, odd
 * output widths and unit counts) the interpreter's sparse path equals its dense one, and the
 * generated C under ASan/UBSan equals the interpreter with the sparse kernels and with the dense
 * ones on the same weights.
 */
class SparseCodegenTest {
  @TempDir
  Path tmp;

  /** {@code g} with every Conv2D/FC weight pruned to {@code f}, some kept weights zeroed too. */
  static Graph sparsify(Graph g, Encoding.NM f, SplittableRandom rng) {
    List<Value> values = new ArrayList<>(g.values());
    for (Node n : g.nodes()) {
      int slot = n.op() instanceof Op.Conv2D ? Op.Conv2D.FILTER
          : n.op() instanceof Op.FullyConnected ? Op.FullyConnected.WEIGHTS : -1;
      if (slot < 0) {
        continue;
      }
      Value w = g.input(n, slot);
      int rows = w.shape().dim(0);
      int[] p = NmPruner.prune(w.data().asInts(DType.INT8), rows, f);
      for (int i = 0; i < p.length; i++) {
        if (rng.nextInt(10) == 0) {
          p[i] = 0; // groups whose kept weight is 0
        }
      }
      values.set(w.id(), new Value(w.id(), w.name(), w.type().withEncoding(f),
          ConstData.ofInts(DType.INT8, p)));
    }
    return new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs());
  }

  static Graph dense(Graph g) {
    List<Value> values = new ArrayList<>(g.values());
    for (Value v : g.values()) {
      if (v.type().encoding() instanceof Encoding.NM) {
        values.set(v.id(), new Value(v.id(), v.name(), v.type().withEncoding(Encoding.DENSE),
            v.data()));
      }
    }
    return new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs());
  }

  @Test
  void randomSparseLayersMatchTheInterpreterAndTheDenseKernels() throws IOException {
    NativeBuild.assumeGcc();
    SplittableRandom rng = new SplittableRandom(4242);
    int trial = 0;
    for (Encoding.NM f : NmWeights.FORMATS) {
      for (int rep = 0; rep < 2; rep++, trial++) {
        String name = "nm" + trial;
        SmallGraphs s = new SmallGraphs(name, 300 + trial);
        int h = 2 + rng.nextInt(6);
        int w = 2 + rng.nextInt(6);
        int c = rep == 0 ? 3 + rng.nextInt(6) : f.m() * (1 + rng.nextInt(3)) + 1;
        int k1 = 1 + rng.nextInt(9);
        int x = s.input(rep == 1 ? 2 : 1, h, w, c);
        int y = s.conv(x, k1, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU, true, true);
        int z = s.conv(y, 2 + rng.nextInt(6), 2, 2, rep + 1, 1, Pads.NONE, Activation.NONE,
            rep == 0, rep == 1);
        var zs = s.builder().type(z).shape();
        int flat = s.reshape(z, zs.dim(0), zs.elements() / zs.dim(0));
        int out = s.fc(flat, 3 + 2 * rng.nextInt(4), Activation.NONE, rep == 1);
        s.builder().output(out);
        Graph g = sparsify(s.builder().build(), f, rng);
        assertThat(Verifier.check(g)).as(name).isEmpty();
        int batch = 3;
        int in = g.inputs().get(0);
        byte[] input = s.randomInput(in, batch);
        int inSize = g.type(in).elements();
        int outSize = g.type(out).elements();
        Interpreter sparse = new Interpreter(g);
        Interpreter plain = new Interpreter(dense(g));
        byte[] ref = new byte[outSize * batch];
        for (int b = 0; b < batch; b++) {
          Tensor t = Tensor.fromBytes(DType.INT8, g.type(in).shape(),
              Arrays.copyOfRange(input, b * inSize, (b + 1) * inSize));
          byte[] got = sparse.run(List.of(t)).get(0).toBytes();
          assertThat(got).as("%s interpreter sparse vs dense, sample %d", name, b)
              .isEqualTo(plain.run(List.of(t)).get(0).toBytes());
          System.arraycopy(got, 0, ref, b * outSize, outSize);
        }
        for (CodegenOptions.SparseKernels mode : List.of(CodegenOptions.SparseKernels.ALWAYS,
            CodegenOptions.SparseKernels.NEVER)) {
          CodegenOptions o = CodegenOptions.defaults().withSparse(mode);
          String model = CpuCodegen.emit(g, o).files().get("kiln_model.c");
          boolean sparseC = mode == CodegenOptions.SparseKernels.ALWAYS;
          assertThat(model.contains("conv2d_sparse")).as(name).isEqualTo(sparseC);
          assertThat(model.contains("fully_connected_sparse")).as(name).isEqualTo(sparseC);
          Path dir = tmp.resolve(name + mode);
          CpuCodegen.generate(g, dir, o);
          Path host = NativeBuild.compile(dir, NativeBuild.SANITIZE, "kiln_host");
          byte[] actual = NativeBuild.run(host, List.of(input), batch, 1).get(0);
          assertThat(actual).as("%s %s (%dx%dx%d, %s)", name, mode, h, w, c, f).isEqualTo(ref);
        }
      }
    }
  }

  /** One 8x8x64 -> 32 3x3 conv pruned to {@code f}. */
  private static Graph convLayer(Encoding.NM f) {
    SmallGraphs s = new SmallGraphs("layer", 9);
    int x = s.input(1, 8, 8, 64);
    int y = s.conv(x, 32, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.NONE, true, true);
    s.builder().output(y);
    return sparsify(s.builder().build(), f, new SplittableRandom(1));
  }

  /** One 1024 -> 64 fully-connected layer pruned to {@code f}. */
  private static Graph fcLayer(Encoding.NM f) {
    SmallGraphs s = new SmallGraphs("fc", 10);
    int x = s.input(1, 1024);
    s.builder().output(s.fc(x, 64, Activation.NONE, true));
    return sparsify(s.builder().build(), f, new SplittableRandom(2));
  }

  @Test
  void autoModeFollowsTheCostEstimateAndTheReportSaysWhy() throws IOException {
    CodegenOptions host = CodegenOptions.defaults();
    CodegenOptions m4 = host.withCore(io.kiln.target.CpuCore.CORTEX_M4);
    // On the host the vectorized dense kernel beats 1:4 but not 1:16.
    CompileResult dense = CpuCodegen.generate(convLayer(new Encoding.NM(1, 4)),
        tmp.resolve("h4"), host);
    assertThat(dense.layers().get(0).kernel()).isEqualTo("plain-c");
    assertThat(dense.layers().get(0).kernelReason())
        .startsWith("1:4 weights stay dense: the sparse kernel is estimated at");
    CompileResult sparse = CpuCodegen.generate(convLayer(new Encoding.NM(1, 16)),
        tmp.resolve("h16"), host);
    assertThat(sparse.layers().get(0).kernel()).isEqualTo("sparse-1:16");
    assertThat(sparse.weightBytes()).isLessThan(dense.weightBytes() / 5);
    // On the Cortex-M4 the SMLAD sparse conv beats the DSP dense one from 1:4 on; the FC
    // kernel's plain selections are estimated level with the DSP FC at 1:4: not enough.
    CompileResult conv4 = CpuCodegen.generate(convLayer(new Encoding.NM(1, 4)),
        tmp.resolve("m4"), m4);
    assertThat(conv4.layers().get(0).kernel()).isEqualTo("dsp-sparse-1:4");
    assertThat(conv4.layers().get(0).kernelReason()).startsWith("1:4 sparse:")
        .contains("cortex-m4").contains("SMLAD");
    CompileResult level = CpuCodegen.generate(fcLayer(new Encoding.NM(1, 4)),
        tmp.resolve("m4fc"), m4);
    assertThat(level.layers().get(0).kernel()).isEqualTo("dsp-gemm-fc");
    assertThat(level.layers().get(0).kernelReason()).startsWith("1:4 weights stay dense")
        .contains("cortex-m4");
    CompileResult mcu = CpuCodegen.generate(fcLayer(new Encoding.NM(1, 8)),
        tmp.resolve("m8"), m4);
    assertThat(mcu.layers().get(0).kernel()).isEqualTo("sparse-1:8");
    CompileResult never = CpuCodegen.generate(convLayer(new Encoding.NM(1, 16)),
        tmp.resolve("n16"), host.withSparse(CodegenOptions.SparseKernels.NEVER));
    assertThat(never.layers().get(0).kernelReason()).contains("sparse kernels switched off");
  }
}
