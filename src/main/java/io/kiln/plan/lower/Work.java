package io.kiln.plan.lower;

import io.kiln.ir.ConstData;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Requant;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The graph being lowered: values and nodes replaced in place by id and index, and the notes of
 * what changed at each node. A value whose quantization changes carries the change on through
 * the operators whose output type must equal their input's (max and TFLite's average pooling,
 * reshapes, padding, slices).
 */
final class Work {
  private final Graph original;
  private final List<Value> values;
  private final List<Node> nodes;
  private final Map<Integer, List<String>> notes = new TreeMap<>();
  private final Map<Integer, String> units = new TreeMap<>();
  private final Set<Integer> approximate = new LinkedHashSet<>();

  Work(Graph g) {
    this.original = g;
    this.values = new ArrayList<>(g.values());
    this.nodes = new ArrayList<>(g.nodes());
  }

  Value value(int id) {
    return values.get(id);
  }

  Node node(int index) {
    return nodes.get(index);
  }

  Value input(int node, int slot) {
    return values.get(nodes.get(node).input(slot));
  }

  Value output(int node) {
    return values.get(nodes.get(node).output());
  }

  void setOp(int node, Op op) {
    nodes.set(node, nodes.get(node).withOp(op));
  }

  /** Replaces a constant's type and data; it must not be read by another node. */
  void setConstant(int node, int slot, TensorType type, ConstData data) {
    Value v = input(node, slot);
    requireOwned(node, v);
    values.set(v.id(), new Value(v.id(), v.name(), type, data));
  }

  /**
   * Gives value {@code id} quantization {@code q}, and the outputs of the code-moving operators
   * that read it too.
   */
  void requantize(int id, Quantization q) {
    Value v = values.get(id);
    values.set(id, new Value(id, v.name(), v.type().withQuant(q), v.data()));
    for (Node n : nodes) {
      boolean moves = switch (n.op()) {
        case Op.MaxPool2D p -> true;
        // TFLite's average pooling keeps its input's quantization too.
        case Op.AveragePool2D p -> p.requant() instanceof Requant.FixedPoint;
        case Op.Reshape r -> true;
        case Op.Pad p -> true;
        case Op.StridedSlice s -> true;
        case Op.Transpose t -> true;
        case Op.Identity i -> true;
        default -> false;
      };
      if (moves && n.input(0) == id && values.get(n.output()).quant().equals(v.quant())) {
        requantize(n.output(), q);
      }
    }
  }

  void note(int node, String unit, String change, boolean approx) {
    notes.computeIfAbsent(node, k -> new ArrayList<>()).add(change);
    units.put(node, unit);
    if (approx) {
      approximate.add(node);
    }
  }

  /** The producer of value {@code id}'s node index, or -1 for graph inputs and constants. */
  int producer(int id) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).outputs().contains(id)) {
        return i;
      }
    }
    return -1;
  }

  Lowered result() {
    if (notes.isEmpty() && values.equals(original.values()) && nodes.equals(original.nodes())) {
      return new Lowered(original, List.of());
    }
    Graph g = new Graph(original.name(), values, nodes, original.inputs(), original.outputs());
    List<Lowered.Rewrite> rewrites = new ArrayList<>();
    notes.forEach((n, c) -> rewrites.add(new Lowered.Rewrite(n, units.get(n), c,
        approximate.contains(n))));
    return new Lowered(g, rewrites);
  }

  private void requireOwned(int node, Value v) {
    for (int i = 0; i < nodes.size(); i++) {
      if (i != node && nodes.get(i).inputs().contains(v.id())) {
        throw new io.kiln.KilnException("cannot lower node " + node + ": its constant %" + v.id()
            + " \"" + v.name() + "\" is shared with node " + i);
      }
    }
  }
}
