package io.kiln.plan.lower;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Value;
import io.kiln.plan.dispatch.Layer;
import java.util.ArrayList;
import java.util.List;

/**
 * Plan-time conversion of int8 conv and fully-connected weights to ternary {-1, 0, +1} per output
 * channel, for analog in-memory compute. It changes the network's accuracy, which is why the CLI
 * only does it on request and says so.
 *
 * <p>Per channel as {@link TernaryWeights} converts; the weights get the ternary encoding, and
 * the bias is rescaled to the new accumulator scale.
 */
public final class Ternarize {
  private Ternarize() {}

  /** {@code g} with every convertible layer's weights ternary; the count is in the result. */
  public static Result apply(Graph g) {
    List<Value> values = new ArrayList<>(g.values());
    int converted = 0;
    for (Node n : g.nodes()) {
      // Conv and fully-connected layers (the analog array has no depthwise mode).
      var slots = Op.constantSlots(n.op());
      if (n.op() instanceof Op.DepthwiseConv2D || slots.isEmpty()) {
        continue;
      }
      int wSlot = slots.get().weights();
      int bSlot = slots.get().bias();
      Value w = g.value(n.input(wSlot));
      Value in = g.value(n.input(0));
      Value out = g.output(n);
      double sIn = Layer.scale(in);
      double sOut = Layer.scale(out);
      if (!w.isConstant() || w.dtype() != DType.INT8 || Double.isNaN(sIn) || Double.isNaN(sOut)
          || out.dtype() != DType.INT8) {
        continue;
      }
      int channels = w.shape().dim(0);
      double[] oldScales = new double[channels];
      for (int c = 0; c < channels; c++) {
        oldScales[c] = scaleOf(w.quant(), c);
      }
      TernaryWeights tw = TernaryWeights.of(w.data().asInts(DType.INT8), channels, oldScales,
          sIn, sOut);
      int[] t = tw.values();
      float[] scales = tw.scales();
      long[] zeros = new long[channels];
      values.set(w.id(), new Value(w.id(), w.name(), w.type().withEncoding(Encoding.TERNARY)
          .withQuant(new Quantization.PerAxis(0, scales, zeros)), ConstData.ofInts(DType.INT8,
          t)));
      if (n.hasInput(bSlot) && g.value(n.input(bSlot)).isConstant()) {
        Value b = g.value(n.input(bSlot));
        int[] bq = b.data().asInts(DType.INT32);
        int[] nb = new int[bq.length];
        float[] bScales = new float[channels];
        for (int c = 0; c < channels; c++) {
          double oldScale = sIn * scaleOf(w.quant(), c);
          double newScale = sIn * scales[c];
          nb[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE,
            Math.round(bq[c] * oldScale / newScale)));
          bScales[c] = (float) newScale;
        }
        values.set(b.id(), new Value(b.id(), b.name(), b.type().withQuant(
            new Quantization.PerAxis(0, bScales, zeros.clone())), ConstData.ofInts(DType.INT32,
            nb)));
      }
      converted++;
    }
    Graph out = new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs());
    return new Result(out, converted);
  }

  /** The converted graph and how many layers changed. */
  public record Result(Graph graph, int layers) {}

  private static double scaleOf(Quantization q, int c) {
    return switch (q) {
      case Quantization.PerAxis p -> p.scale(c);
      case Quantization.PerTensor p -> p.scale();
      case Quantization.None n -> 1.0;
    };
  }

}
