package io.kiln.frontend.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.kiln.KilnException;
import io.kiln.ir.Quantization;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds the quantization of integer graph inputs and initializers from the operators that read
 * them (DequantizeLinear, QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger), since in
 * Kiln's IR quantization belongs to the tensor's type while ONNX passes it to each consumer.
 * The *Integer operators have zero points but no scale; their operands get scale 1.
 */
final class OnnxQuantParams {
  private OnnxQuantParams() {}

  /** Read-only view of constants and ranks known before the nodes are converted. */
  interface Leaves {
    /** The data of a constant tensor as floats, or null when the name is not a constant. */
    float[] floats(String name);

    /** The data of a constant integer tensor, or null when the name is not a constant. */
    long[] longs(String name);

    /** Rank of a graph input or initializer, or -1 for node outputs. */
    int rank(String name);
  }

  /** Quantization of each graph input or initializer that a quantized operator reads. */
  static Map<String, Quantization> forLeaves(GraphProto g, Leaves leaves) {
    Map<String, Quantization> out = new HashMap<>();
    for (int k = 0; k < g.getNodeCount(); k++) {
      NodeProto n = g.getNode(k);
      String where = OnnxOperators.where(n, k);
      OnnxAttributes attrs = new OnnxAttributes(n, where);
      switch (n.getOpType()) {
        case "DequantizeLinear" -> leaf(out, leaves, n, 0, 1, 2, attrs.intAttr("axis", 1), where);
        case "QLinearConv" -> {
          leaf(out, leaves, n, 0, 1, 2, 1, where);
          leaf(out, leaves, n, 3, 4, 5, 0, where);
        }
        case "QLinearMatMul" -> {
          leaf(out, leaves, n, 0, 1, 2, -1, where);
          leaf(out, leaves, n, 3, 4, 5, -1, where);
        }
        case "ConvInteger" -> {
          leaf(out, leaves, n, 0, -1, 2, 1, where);
          leaf(out, leaves, n, 1, -1, 3, 0, where);
        }
        case "MatMulInteger" -> {
          leaf(out, leaves, n, 0, -1, 2, -2, where);
          leaf(out, leaves, n, 1, -1, 3, -1, where);
        }
        default -> { }
      }
    }
    return out;
  }

  private static void leaf(Map<String, Quantization> out, Leaves leaves, NodeProto n, int slot,
      int scaleSlot, int zpSlot, int axis, String where) {
    if (slot >= n.getInputCount()) {
      return;
    }
    String name = n.getInput(slot);
    int rank = leaves.rank(name);
    if (rank < 0) {
      return;
    }
    float[] scales = scaleSlot < 0 ? null : constantFloats(leaves, n, scaleSlot, where);
    long[] zps = zpSlot < n.getInputCount() && !n.getInput(zpSlot).isEmpty()
        ? constantLongs(leaves, n, zpSlot, where) : null;
    Quantization q = of(scales, zps, axis, rank, where);
    Quantization prev = out.putIfAbsent(name, q);
    if (prev != null && !prev.equals(q)) {
      throw new KilnException(where + ": tensor '" + name + "' is read with quantization " + q
          + " but elsewhere with " + prev + "; Kiln gives each tensor one quantization");
    }
  }

  private static float[] constantFloats(Leaves leaves, NodeProto n, int slot, String where) {
    float[] f = slot < n.getInputCount() ? leaves.floats(n.getInput(slot)) : null;
    if (f == null) {
      throw notConstant(n, slot, where);
    }
    return f;
  }

  private static long[] constantLongs(Leaves leaves, NodeProto n, int slot, String where) {
    long[] l = leaves.longs(n.getInput(slot));
    if (l == null) {
      throw notConstant(n, slot, where);
    }
    return l;
  }

  static KilnException notConstant(NodeProto n, int slot, String where) {
    String name = slot < n.getInputCount() ? n.getInput(slot) : "";
    return new KilnException(where + ": quantization parameter '" + name + "' (input " + slot
        + ") must be a constant (an initializer or Constant node); Kiln needs static"
        + " quantization parameters");
  }

  /**
   * Quantization from ONNX scale and zero-point tensors: one value is per tensor, more are per
   * axis ({@code axis} may be negative, counting from the end). Absent scales mean 1 (the
   * *Integer operators), absent zero points mean 0.
   */
  static Quantization of(float[] scales, long[] zps, int axis, int rank, String where) {
    int n = scales != null ? scales.length : zps != null ? zps.length : 1;
    if (scales != null && zps != null && scales.length != zps.length) {
      throw new KilnException(where + ": " + scales.length + " scales but " + zps.length
          + " zero points");
    }
    float[] s = new float[n];
    long[] z = new long[n];
    for (int i = 0; i < n; i++) {
      s[i] = scales == null ? 1f : scales[i];
      z[i] = zps == null ? 0 : zps[i];
      if (!(s[i] > 0) || !Float.isFinite(s[i])) {
        throw new KilnException(where + ": scale " + s[i] + " is not positive and finite");
      }
    }
    if (n == 1) {
      return new Quantization.PerTensor(s[0], z[0]);
    }
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw new KilnException(where + ": quantization axis " + axis + " out of range for rank "
          + rank);
    }
    return new Quantization.PerAxis(a, s, z);
  }
}
