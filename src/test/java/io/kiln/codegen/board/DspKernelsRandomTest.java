package io.kiln.codegen.board;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.Board;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.CompileResult;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.target.CpuCore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every DSP-extension kernel against the portable C kernels on seeded random layers: graphs of
 * independent Conv2D, DepthwiseConv2D and FullyConnected layers with random geometry (odd
 * channel counts, channels that are not multiples of 4, 1x1 and kxk filters, padding, strides
 * 1-3, occasional dilation 2, batches), per-tensor and per-channel weights, every activation,
 * and layers built to take each fallback (weights too large for the x256 pairs, a
 * requantization without a right shift, depth multiplier 2, fewer than 4 channels). Each graph
 * is built for the generic core on the Cortex-M3 board, for the DSP kernels on the M4 and for
 * the Helium kernels on the M55; on QEMU all must give the same bytes, which must also be the
 * interpreter's.
 */
class DspKernelsRandomTest {
  @TempDir
  Path tmp;

  private static final Activation[] ACTS = {Activation.NONE, Activation.RELU, Activation.RELU6};

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4})
  void dspKernelsMatchPlainCOnRandomLayers(long seed) throws IOException {
    BoardToolchain.assumeToolchain();
    Random rnd = new Random(seed * 7919);
    Layers l = new Layers("random" + seed, rnd);
    // Helium's Add (element counts a multiple of 4) and, below, its depthwise (multiples of 8
    // channels): one layer of each in every graph.
    l.add(4 * (1 + rnd.nextInt(40)));
    l.depthwise(l.input(1, 5, 6, 16), 1, 3, 1 + rnd.nextInt(2), 1, true);
    for (int i = 0; i < 6; i++) {
      switch (rnd.nextInt(3)) {
        case 0 -> l.randomConv();
        case 1 -> l.randomDepthwise();
        default -> l.randomFc();
      }
    }
    // One layer of each fallback or variant, in a different seed each, and what the report
    // must then say about it.
    String special = switch ((int) seed) {
      case 1 -> {
        l.conv(l.input(1, 4, 5, 64), 5, 3, 3, 1, 1, true, Activation.NONE, -1, -1);
        yield "weights paired by SXTB16";
      }
      case 2 -> {
        l.conv(l.input(1, 3, 4, 9), 6, 3, 3, 1, 1, true, Activation.RELU, 40, 0.7);
        yield "portable requantization (channel 0 has no right shift)";
      }
      case 3 -> {
        l.depthwise(l.input(1, 5, 5, 6), 2, 3, 1, 1, true);
        yield "the DSP kernel does not take depth multiplier 2";
      }
      default -> {
        l.depthwise(l.input(1, 6, 5, 3), 1, 3, 2, 1, true);
        yield "the DSP kernel does not take 3 channels (fewer than one group of 4)";
      }
    };
    Graph g = l.build();
    List<byte[]> inputs = new ArrayList<>();
    for (int id : g.inputs()) {
      byte[] b = new byte[Math.toIntExact(g.type(id).bytes()) * 2];
      rnd.nextBytes(b);
      inputs.add(b);
    }
    List<byte[]> expected = interpret(g, inputs, 2);
    List<byte[]> plain = run(g, Board.MPS2_AN385, CpuCore.GENERIC, inputs, null);
    Set<String> kernels = new HashSet<>();
    List<byte[]> m4 = run(g, Board.MPS2_AN386, CpuCore.CORTEX_M4, inputs, kernels);
    Set<String> helium = new HashSet<>();
    List<byte[]> m55 = run(g, Board.MPS3_AN547, CpuCore.CORTEX_M55, inputs, helium);
    assertThat(kernels).as("the DSP build used DSP kernels").anyMatch(k -> k.startsWith("dsp-"))
        .as("the special layer's kernel choice").anyMatch(k -> k.contains(special));
    assertThat(helium).as("the Helium build's kernels")
        .anyMatch(k -> k.startsWith("mve-depthwise"))
        .anyMatch(k -> k.startsWith("mve-add"))
        .anyMatch(k -> k.startsWith("mve-gemm") || k.startsWith("mve-im2col"));
    for (int j = 0; j < expected.size(); j++) {
      assertThat(plain.get(j)).as("output %d, plain C on the M3 vs the interpreter", j)
          .isEqualTo(expected.get(j));
      assertThat(m4.get(j)).as("output %d, DSP kernels on the M4 vs plain C", j)
          .isEqualTo(plain.get(j));
      assertThat(m55.get(j)).as("output %d, Helium kernels on the M55 vs plain C", j)
          .isEqualTo(plain.get(j));
    }
  }

  private List<byte[]> run(Graph g, Board board, CpuCore core, List<byte[]> inputs,
      Set<String> kernels) throws IOException {
    Path dir = tmp.resolve(board.id());
    CompileResult r = CpuCodegen.generate(g, dir, CodegenOptions.defaults().withBoard(board)
        .withCore(core));
    if (kernels != null) {
      for (CompileResult.Layer layer : r.layers()) {
        kernels.add(layer.kernel() + ": " + layer.kernelReason());
      }
    }
    Path elf = BoardToolchain.build(board, dir);
    return BoardToolchain.run(board, elf, inputs, 2, g.outputs().size());
  }

  private static List<byte[]> interpret(Graph g, List<byte[]> inputs, int batch) {
    List<byte[]> outs = new ArrayList<>();
    for (int j = 0; j < g.outputs().size(); j++) {
      outs.add(new byte[0]);
    }
    Interpreter interp = new Interpreter(g);
    for (int s = 0; s < batch; s++) {
      List<Tensor> in = new ArrayList<>();
      for (int k = 0; k < g.inputs().size(); k++) {
        Value v = g.value(g.inputs().get(k));
        int n = Math.toIntExact(v.type().bytes());
        in.add(Tensor.fromBytes(v.dtype(), v.shape(),
            Arrays.copyOfRange(inputs.get(k), s * n, (s + 1) * n)));
      }
      List<Tensor> out = interp.run(in);
      for (int j = 0; j < out.size(); j++) {
        byte[] prev = outs.get(j);
        byte[] add = out.get(j).toBytes();
        byte[] both = Arrays.copyOf(prev, prev.length + add.length);
        System.arraycopy(add, 0, both, prev.length, add.length);
        outs.set(j, both);
      }
    }
    return outs;
  }

  /** Builds a graph of independent layers, each from its own input to its own output. */
  private static final class Layers {
    private final GraphBuilder b;
    private final Random rnd;
    private int n;

    Layers(String name, Random rnd) {
      this.b = new GraphBuilder(name);
      this.rnd = rnd;
    }

    Graph build() {
      return b.build();
    }

    int input(int... dims) {
      return b.input("x" + n++, new TensorType(DType.INT8, Shape.of(dims),
          Quantization.perTensor(0.02 + rnd.nextDouble() * 0.05, rnd.nextInt(255) - 127)));
    }

    void randomConv() {
      int k = 1 + rnd.nextInt(4);
      int kw = rnd.nextBoolean() ? k : 1 + rnd.nextInt(4);
      int d = rnd.nextInt(6) == 0 ? 2 : 1;
      int ih = (k - 1) * d + 1 + rnd.nextInt(7);
      int iw = (kw - 1) * d + 1 + rnd.nextInt(7);
      int ic = 1 + rnd.nextInt(rnd.nextBoolean() ? 9 : 33);
      int batch = rnd.nextInt(4) == 0 ? 2 : 1;
      conv(input(batch, ih, iw, ic), 1 + rnd.nextInt(19), k, kw, 1 + rnd.nextInt(3), d,
          rnd.nextBoolean(), ACTS[rnd.nextInt(3)], 1 + rnd.nextInt(127), -1);
    }

    void randomDepthwise() {
      int k = 1 + rnd.nextInt(5);
      int d = rnd.nextInt(6) == 0 ? 2 : 1;
      int x = input(1, (k - 1) * d + 1 + rnd.nextInt(6), (k - 1) * d + 1 + rnd.nextInt(6),
          rnd.nextBoolean() ? 8 * (1 + rnd.nextInt(5)) : 4 + rnd.nextInt(37));
      depthwise(x, 1, k, 1 + rnd.nextInt(3), d, rnd.nextBoolean());
    }

    void randomFc() {
      int depth = 1 + rnd.nextInt(90);
      int batch = 1 + rnd.nextInt(3);
      int x = input(batch, depth);
      int units = 1 + rnd.nextInt(21);
      double[] scales = new double[units];
      int w = weights(new int[] {units, depth}, 0, rnd.nextBoolean() ? units : 1, scales, 127);
      int bias = bias(units, 3000);
      b.output(b.apply(new Op.FullyConnected(ACTS[rnd.nextInt(3)], true), List.of(x, w, bias),
          "fc" + n, DType.INT8, outQuant(x, scales[0], depth, -1)));
    }

    /**
     * A Conv2D with weights up to {@code wMax} in magnitude (-1: every weight +-127, so that
     * the x256 pairs cannot hold the sums); {@code rescale} > 0 sets the output scale to input
     * scale x weight scale / rescale (0.7: a multiplier with no right shift).
     */
    void conv(int x, int oc, int kh, int kw, int s, int d, boolean same, Activation act,
        int wMax, double rescale) {
      Shape in = b.type(x).shape();
      int ic = in.dim(3);
      double[] scales = new double[oc];
      boolean perChannel = rescale < 0 && rnd.nextBoolean();
      int w = weights(new int[] {oc, kh, kw, ic}, 0, perChannel ? oc : 1, scales, wMax);
      int bias = rnd.nextInt(5) == 0 ? Node.ABSENT : bias(oc, 4000);
      Op.Pads pads = pads(in.dim(1), in.dim(2), kh, kw, s, d, same);
      b.output(b.apply(new Op.Conv2D(s, s, d, d, pads, act), List.of(x, w, bias), "conv" + n,
          DType.INT8, outQuant(x, scales[0], kh * kw * ic, rescale)));
    }

    void depthwise(int x, int mult, int k, int s, int d, boolean same) {
      Shape in = b.type(x).shape();
      int ch = in.dim(3) * mult;
      double[] scales = new double[ch];
      int w = weights(new int[] {1, k, k, ch}, 3, ch, scales, 127);
      int bias = bias(ch, 2000);
      Op.Pads pads = pads(in.dim(1), in.dim(2), k, k, s, d, same);
      b.output(b.apply(new Op.DepthwiseConv2D(s, s, d, d, pads, mult, ACTS[rnd.nextInt(3)]),
          List.of(x, w, bias), "dw" + n, DType.INT8, outQuant(x, scales[0], k * k, -1)));
    }

    /** An Add of two fresh inputs of {@code n} elements with random scales and zero points. */
    void add(int n) {
      int x = input(1, n);
      int y = input(1, n);
      double s = Math.max(b.type(x).quant().scale(), b.type(y).quant().scale())
          * (1 + rnd.nextDouble());
      b.output(b.apply(new Op.Add(ACTS[rnd.nextInt(3)]), List.of(x, y), "add" + n, DType.INT8,
          Quantization.perTensor(s, rnd.nextInt(61) - 30)));
    }

    /** SAME-style padding (possibly uneven) or none. */
    private static Op.Pads pads(int ih, int iw, int kh, int kw, int s, int d, boolean same) {
      if (!same) {
        return new Op.Pads(0, 0, 0, 0);
      }
      int ph = Math.max(0, ((ih + s - 1) / s - 1) * s + (kh - 1) * d + 1 - ih);
      int pw = Math.max(0, ((iw + s - 1) / s - 1) * s + (kw - 1) * d + 1 - iw);
      return new Op.Pads(ph / 2, pw / 2, ph - ph / 2, pw - pw / 2);
    }

    private Quantization outQuant(int x, double wScale, int terms, double rescale) {
      double inScale = b.type(x).quant().scale();
      double scale = rescale > 0 ? inScale * wScale / rescale
          : inScale * wScale * Math.sqrt(terms) * 70 * 70 / 50;
      return Quantization.perTensor(scale, rnd.nextInt(61) - 30);
    }

    private int weights(int[] dims, int axis, int channels, double[] scalesOut, int wMax) {
      int count = Shape.of(dims).elements();
      int[] w = new int[count];
      for (int i = 0; i < count; i++) {
        w[i] = wMax < 0 ? (rnd.nextBoolean() ? 127 : -127) : rnd.nextInt(2 * wMax + 1) - wMax;
      }
      float[] scales = new float[channels];
      for (int c = 0; c < channels; c++) {
        scales[c] = (float) (0.002 + rnd.nextDouble() * 0.01);
        scalesOut[c] = scales[c];
      }
      Quantization q = channels == 1 ? Quantization.perTensor(scales[0], 0)
          : new Quantization.PerAxis(axis, scales, new long[channels]);
      return b.constant("w" + n++, new TensorType(DType.INT8, Shape.of(dims), q),
          ConstData.ofInts(DType.INT8, w));
    }

    private int bias(int channels, int magnitude) {
      int[] v = new int[channels];
      for (int c = 0; c < channels; c++) {
        v[c] = rnd.nextInt(2 * magnitude + 1) - magnitude;
      }
      return b.constant("b" + n++, new TensorType(DType.INT32, Shape.of(channels),
          Quantization.NONE), ConstData.ofInts(DType.INT32, v));
    }
  }
}
