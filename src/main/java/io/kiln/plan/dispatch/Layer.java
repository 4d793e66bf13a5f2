package io.kiln.plan.dispatch;

import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Value;
import io.kiln.target.OpPattern;
import java.util.List;
import java.util.Optional;

/**
 * One layer as dispatch rules see it: the captures of a named pattern (input, weights, bias,
 * output with its quantization = the requantization) and the operator's geometry, so rules read
 * fields instead of walking inputs.
 *
 * @param kind the operator family the accelerators' {@link OpPattern}s are keyed by
 * @param window kernel/stride/dilation/padding for windowed operators
 * @param rhs the second operand of an element-wise operator
 * @param output the main operator's output (before any fused stage)
 * @param activation the main operator's fused activation clamp (a standalone activation's
 *     function is its operator, see {@link #function()})
 * @param fused stages after the main operator that run in the same accelerator call, in dataflow
 *     order (a residual Add, a pooling); empty for a layer of one node
 */
public record Layer(Graph graph, Node node, String pattern, OpPattern.Op kind, Value input,
    Optional<Value> weights, Optional<Value> bias, Optional<Value> rhs, Value output,
    Optional<Window> window, Op.Activation activation, int depthMultiplier, List<Fused> fused) {

  public Layer {
    fused = List.copyOf(fused);
  }

  /** Kernel, stride, dilation and padding of a conv or pooling window. */
  public record Window(int fy, int fx, int strideH, int strideW, int dilationH, int dilationW,
      Op.Pads pads) {}

  /**
   * One stage fused after the main operator.
   *
   * @param stage which stage of the accelerator's output pipeline it is
   * @param node the fused-away node
   * @param input what the stage reads from the stage before (the conv output, or the Add's)
   * @param skip the residual Add's other operand (the skip tensor)
   * @param window a pooling's window
   * @param activation the stage's fused activation clamp
   * @param output the stage's output
   */
  public record Fused(OpPattern.FusedStage stage, Node node, Value input, Optional<Value> skip,
      Optional<Window> window, Op.Activation activation, Value output) {

    /** {@code residual_add}, as descriptions spell the stage. */
    public String stageName() {
      return stage.name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The fused-away nodes, in dataflow order. */
  public List<Node> fusedNodes() {
    return fused.stream().map(Fused::node).toList();
  }

  /**
   * The function a standalone activation computes (its operator: {@code Relu} is relu,
   * {@code Logistic} sigmoid); empty for other layers.
   */
  public Optional<OpPattern.ActivationFn> function() {
    return switch (node.op()) {
      case Op.Relu r -> Optional.of(OpPattern.ActivationFn.RELU);
      case Op.Relu6 r -> Optional.of(OpPattern.ActivationFn.RELU6);
      case Op.Logistic r -> Optional.of(OpPattern.ActivationFn.SIGMOID);
      case Op.Tanh r -> Optional.of(OpPattern.ActivationFn.TANH);
      default -> Optional.empty();
    };
  }

  public boolean depthwise() {
    return kind == OpPattern.Op.DEPTHWISE_CONV2D;
  }

  /** A short name for reports: {@code %3 "conv2d_1"}. */
  public String where() {
    return "%" + node.output() + " \"" + output.name() + "\"";
  }

  /** Output channels: the last dimension of the output (NHWC or [batch, out]). */
  public int outputChannels() {
    int[] d = output.shape().dims();
    return d[d.length - 1];
  }

  /** Input channels reduced per output: the last input dimension (1 for depthwise). */
  public int inputChannels() {
    int[] d = input.shape().dims();
    return depthwise() ? 1 : d[d.length - 1];
  }

  /** The smallest and largest weight value, for choosing the narrowest weight format. */
  public Optional<int[]> weightRange() {
    return weights.filter(w -> w.dtype().isInteger()).map(w -> {
      int[] q = w.data().asInts(w.dtype());
      int lo = Integer.MAX_VALUE;
      int hi = Integer.MIN_VALUE;
      for (int v : q) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      return q.length == 0 ? new int[] {0, 0} : new int[] {lo, hi};
    });
  }

  /**
   * Whether the weights are ternary: encoded so, or int8 holding only -1, 0 and +1. Only a
   * policy's preference reads this (DIANA's declared rule puts ternary networks on analog);
   * acceptance checks the encoding ({@link DispatchRules#WEIGHT_FORMAT}).
   */
  public boolean ternaryWeights() {
    if (weights.isPresent() && weights.get().type().encoding() instanceof Encoding.Ternary) {
      return true;
    }
    return weightRange().map(r -> r[0] >= -1 && r[1] <= 1).orElse(false)
        && weights.get().dtype() == DType.INT8;
  }

  /** The weight scale of output channel {@code c} (per-tensor scales repeat). */
  public double weightScale(int c) {
    return switch (weights.orElseThrow().quant()) {
      case Quantization.PerAxis p -> p.scale(c);
      case Quantization.PerTensor p -> p.scale();
      case Quantization.None n -> 1.0;
    };
  }

  /** The per-tensor scale of an activation, or NaN if it has none. */
  public static double scale(Value v) {
    return v.quant() instanceof Quantization.PerTensor p ? p.scale() : Double.NaN;
  }
}
