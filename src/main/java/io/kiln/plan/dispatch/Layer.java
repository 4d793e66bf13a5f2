package io.kiln.plan.dispatch;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Value;
import io.kiln.target.OpPattern;
import java.util.Optional;

/**
 * One layer as dispatch rules see it: the captures of a named pattern (input, weights, bias,
 * output with its quantization = the requantization) and the operator's geometry, so rules read
 * fields instead of walking inputs.
 *
 * @param kind the operator family the accelerators' {@link OpPattern}s are keyed by
 * @param window kernel/stride/dilation/padding for windowed operators
 * @param rhs the second operand of an element-wise operator
 */
public record Layer(Graph graph, Node node, String pattern, OpPattern.Op kind, Value input,
    Optional<Value> weights, Optional<Value> bias, Optional<Value> rhs, Value output,
    Optional<Window> window, Op.Activation activation, int depthMultiplier) {

  /** Kernel, stride, dilation and padding of a conv or pooling window. */
  public record Window(int fy, int fx, int strideH, int strideW, int dilationH, int dilationW,
      Op.Pads pads) {}

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

  /** Whether every weight is -1, 0 or +1. */
  public boolean ternaryWeights() {
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
