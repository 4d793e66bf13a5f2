package io.kiln.plan.weights;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import java.util.Arrays;

/**
 * The constants of one weighted layer as the model stores them: the weights in TFLite order
 * (conv {@code [K, FY, FX, C]}, depthwise {@code [1, FY, FX, K]}, fully-connected {@code [K, C]})
 * and the per-channel parameters. {@link BlobLayout#pack} turns them into a unit's blob and
 * {@link BlobLayout#unpack} back.
 *
 * @param weights integer weight values in model order
 * @param params bias and requantization per output channel
 */
public record LayerConstants(int[] weights, ChannelParams params) {

  public LayerConstants {
    weights = weights.clone();
  }

  /** The weights and parameters of conv, depthwise or fully-connected node {@code n} of {@code g}. */
  public static LayerConstants of(Graph g, Node n, ChannelParams.Format format) {
    int slot = Op.constantSlots(n.op()).map(Op.ConstantSlots::weights)
        .orElseThrow(() -> new IllegalArgumentException(n.op().opName() + " has no weights"));
    Value w = g.input(n, slot);
    if (!w.isConstant() || w.dtype() != DType.INT8) {
      throw new IllegalArgumentException("weights of " + n.op().opName() + " %" + n.output()
          + " are not a constant int8 tensor");
    }
    return new LayerConstants(w.data().asInts(DType.INT8), ChannelParams.of(g, n, format));
  }

  @Override
  public int[] weights() {
    return weights.clone();
  }

  int weight(int i) {
    return weights[i];
  }

  int count() {
    return weights.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayerConstants c && Arrays.equals(weights, c.weights) && params.equals(c.params);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(weights) * 31 + params.hashCode();
  }

  @Override
  public String toString() {
    return "LayerConstants[" + weights.length + " weights, " + params + "]";
  }
}
