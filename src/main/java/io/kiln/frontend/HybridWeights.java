package io.kiln.frontend;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dequantizes, on import, the int8 weights of "hybrid" (dynamic-range) layers — float
 * activations with quantized weights, which TFLite Micro does not run — into float constants,
 * so that such a model is an ordinary float model: it runs, and {@code kiln quantize} can make a
 * full-int8 model of it. TFLite's own hybrid kernels quantize the activations on the fly
 * instead, so results agree with them to within that rounding, not bit for bit.
 */
public final class HybridWeights {
  private HybridWeights() {}

  /** Returns {@code g} itself when it has no hybrid layer. */
  public static Graph dequantize(Graph g) {
    Map<Integer, Integer> uses = new HashMap<>();
    Set<Integer> hybrid = new HashSet<>();
    for (Node n : g.nodes()) {
      for (int id : n.inputs()) {
        if (id != Node.ABSENT) {
          uses.merge(id, 1, Integer::sum);
        }
      }
      int slot = weightSlot(n.op());
      if (slot < 0 || !n.hasInput(0) || !n.hasInput(slot)) {
        continue;
      }
      Value w = g.input(n, slot);
      if (g.input(n, 0).dtype() == DType.FLOAT32 && w.isConstant()
          && w.dtype() == DType.INT8 && w.quant().isQuantized()) {
        hybrid.add(w.id());
      }
    }
    if (hybrid.isEmpty()) {
      return g;
    }
    // Only weights that nothing else reads are rewritten in place (a shared int8 constant stays).
    Map<Integer, Integer> hybridUses = new HashMap<>();
    for (Node n : g.nodes()) {
      int slot = weightSlot(n.op());
      if (slot >= 0 && n.hasInput(slot) && hybrid.contains(n.input(slot))) {
        hybridUses.merge(n.input(slot), 1, Integer::sum);
      }
    }
    List<Value> values = new ArrayList<>(g.values());
    for (int id : hybrid) {
      if (!uses.get(id).equals(hybridUses.get(id))) {
        continue;
      }
      Value w = g.value(id);
      values.set(id, new Value(id, w.name(), new TensorType(DType.FLOAT32, w.shape(),
          Quantization.NONE), ConstData.ofFloats(dequantized(w))));
    }
    return new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs());
  }

  /** TFLite's Dequantize: {@code scale * (q - zero_point)} in float, per channel of the axis. */
  static float[] dequantized(Value w) {
    int[] q = w.data().asInts(w.dtype());
    float[] f = new float[q.length];
    Quantization quant = w.quant();
    int axis = quant instanceof Quantization.PerAxis p ? p.axis() : -1;
    int inner = 1;
    int channels = 1;
    if (axis >= 0) {
      channels = w.shape().dim(axis);
      for (int d = axis + 1; d < w.shape().rank(); d++) {
        inner *= w.shape().dim(d);
      }
    }
    for (int i = 0; i < q.length; i++) {
      int c = axis < 0 ? 0 : (i / inner) % channels;
      f[i] = quant.scaleAt(c) * (float) (q[i] - quant.zeroPointAt(c));
    }
    return f;
  }

  private static int weightSlot(Op op) {
    return switch (op) {
      case Op.Conv2D c -> Op.Conv2D.FILTER;
      case Op.DepthwiseConv2D d -> Op.DepthwiseConv2D.FILTER;
      case Op.FullyConnected f -> Op.FullyConnected.WEIGHTS;
      case Op.TransposeConv t -> Op.TransposeConv.FILTER;
      default -> -1;
    };
  }
}
