package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import io.kiln.passes.NmRecognition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sparse kernels' edge cases for every format the encoding has (1:4, 1:8, 1:16 and 2:4, 2:8,
 * 2:16): stride 2 with asymmetric padding, dilation 2 with padding, a pointwise conv, a batched
 * FC whose depth is not a multiple of M and an odd unit count, input zero points at both ends of
 * int8 (every patch element at ±255 reachable), reductions not a multiple of M, groups whose kept
 * weight is 0 and a channel with no non-zero weight at all. Interpreter sparse = dense, and the
 * generated C under ASan/UBSan, sparse and dense kernels, equals the interpreter. Depthwise
 * layers are never N:M (their reduction is a window, not a channel's row): they stay dense.
 */
public class SparseEdgeCasesTest {
  @TempDir
  Path tmp;

  /** Every format {@link Encoding.NM} can hold. */
  public static final List<Encoding.NM> ALL_FORMATS = List.of(new Encoding.NM(1, 4),
      new Encoding.NM(1, 8), new Encoding.NM(1, 16), new Encoding.NM(2, 4), new Encoding.NM(2, 8),
      new Encoding.NM(2, 16));

  /**
   * A chain of the edge-case layers with weights pruned to {@code f}: conv 3x3 stride 2 pads
   * (0,0,1,1), conv 3x3 dilation 2 pads 2, depthwise 3x3 (dense), pointwise, FC over the pixels
   * (batched), FC over everything. Input zero point {@code zp}.
   */
  public static Graph edgeGraph(Encoding.NM f, int zp, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    SmallGraphs s = new SmallGraphs("edge" + f.n() + "x" + f.m(), seed);
    int c = f.m() + 3;
    int x = s.builder().input("x", new TensorType(DType.INT8, Shape.of(1, 7, 9, c),
        Quantization.perTensor(0.03, zp)));
    int y = s.conv(x, f.m() / 2 + 3, 3, 3, 2, 1, new Pads(0, 0, 1, 1), Activation.RELU, true, true);
    y = s.conv(y, 2 * f.m() + 1, 3, 3, 1, 2, new Pads(2, 2, 2, 2), Activation.NONE, false, false);
    y = s.depthwise(y, 1, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU);
    y = s.conv(y, 7, 1, 1, 1, 1, Pads.NONE, Activation.RELU, true, true);
    Shape ys = s.builder().type(y).shape();
    int pixels = s.reshape(y, ys.dim(1) * ys.dim(2), ys.dim(3));
    int per = s.fc(pixels, 5, Activation.NONE, true);
    int flat = s.reshape(per, 1, s.builder().type(per).elements());
    s.builder().output(s.fc(flat, 3, Activation.NONE, false));
    Graph g = SparseCodegenTest.sparsify(s.builder().build(), f, rng);
    return zeroFirstChannels(g);
  }

  /** Each N:M constant with its channel 0 all zeros (a channel that skips everything). */
  private static Graph zeroFirstChannels(Graph g) {
    List<Value> values = new ArrayList<>(g.values());
    for (Value v : g.values()) {
      if (v.type().encoding() instanceof Encoding.NM) {
        int[] w = v.data().asInts(DType.INT8);
        Arrays.fill(w, 0, w.length / v.shape().dim(0), 0);
        values.set(v.id(), new Value(v.id(), v.name(), v.type(), ConstData.ofInts(DType.INT8, w)));
      }
    }
    return new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs());
  }

  @Test
  void everyFormatsEdgeCasesMatchTheInterpreterUnderSanitizers() throws Exception {
    NativeBuild.assumeGcc();
    int trial = 0;
    for (Encoding.NM f : ALL_FORMATS) {
      int zp = trial % 2 == 0 ? -128 : 127;
      Graph g = edgeGraph(f, zp, 77 + trial++);
      assertThat(Verifier.check(g)).as("%s", f).isEmpty();
      long sparseLayers = g.values().stream().filter(v -> v.type().encoding().equals(f)).count();
      assertThat(sparseLayers).as("%s: three convs and two FCs are N:M", f).isEqualTo(5);
      assertThat(NmRecognition.weightSlot(g, g.nodes().stream()
          .filter(n -> n.op() instanceof Op.DepthwiseConv2D).findFirst().orElseThrow())).isEmpty();
      int in = g.inputs().get(0);
      int batch = 3;
      byte[] input = new byte[g.type(in).elements() * batch];
      new SplittableRandom(trial).nextBytes(input);
      // Saturated inputs: with the zero point at the other end every element is ±255 away.
      Arrays.fill(input, 0, g.type(in).elements(), (byte) (zp < 0 ? 127 : -128));
      byte[] ref = interpret(g, input, batch, f);
      for (CodegenOptions.SparseKernels mode : List.of(CodegenOptions.SparseKernels.ALWAYS,
          CodegenOptions.SparseKernels.NEVER)) {
        CodegenOptions o = CodegenOptions.defaults().withSparse(mode);
        Path dir = tmp.resolve(f.n() + "x" + f.m() + mode);
        CompileResult r = CpuCodegen.generate(g, dir, o);
        long sparseKernels = r.layers().stream().filter(l -> l.kernel().equals("sparse-" + f)).count();
        assertThat(sparseKernels).as("%s %s", f, mode)
            .isEqualTo(mode == CodegenOptions.SparseKernels.ALWAYS ? 5 : 0);
        Path host = NativeBuild.compile(dir, NativeBuild.SANITIZE, "kiln_host");
        byte[] actual = NativeBuild.run(host, List.of(input), batch, 1).get(0);
        assertThat(actual).as("%s %s", f, mode).isEqualTo(ref);
      }
    }
  }

  /** The interpreter's outputs, after checking its sparse path against its dense one. */
  static byte[] interpret(Graph g, byte[] input, int batch, Encoding.NM f) {
    int in = g.inputs().get(0);
    int inSize = g.type(in).elements();
    Interpreter sparse = new Interpreter(g);
    Interpreter dense = new Interpreter(SparseCodegenTest.dense(g));
    byte[] out = new byte[0];
    for (int b = 0; b < batch; b++) {
      Tensor t = Tensor.fromBytes(DType.INT8, g.type(in).shape(),
          Arrays.copyOfRange(input, b * inSize, (b + 1) * inSize));
      byte[] got = sparse.run(List.of(t)).get(0).toBytes();
      assertThat(got).as("%s interpreter sparse vs dense, sample %d", f, b)
          .isEqualTo(dense.run(List.of(t)).get(0).toBytes());
      byte[] both = Arrays.copyOf(out, out.length + got.length);
      System.arraycopy(got, 0, both, out.length, got.length);
      out = both;
    }
    return out;
  }
}
