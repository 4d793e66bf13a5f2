package io.kiln.passes;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.ShapeInference;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The changes one rewrite makes to an immutable graph: new constants, new nodes (placed where the
 * matched root node was, so everything they read is already defined) and values whose readers
 * move to a replacement. {@link #apply} builds the new graph and drops what became unused.
 */
public final class GraphEdit {
  private final Graph graph;
  private final int rootIndex;
  private final List<Value> added = new ArrayList<>();
  private final List<Node> inserted = new ArrayList<>();
  private final Map<Integer, Integer> replaced = new HashMap<>();

  GraphEdit(Graph graph, int rootIndex) {
    this.graph = graph;
    this.rootIndex = rootIndex;
  }

  public Graph graph() {
    return graph;
  }

  public int constant(String name, TensorType type, ConstData data) {
    return newValue(name, type, data);
  }

  /** Adds a node computing a value of the given full type. */
  public int node(Op op, List<Integer> inputs, String name, TensorType type) {
    int out = newValue(name, type, null);
    inserted.add(new Node(op, inputs, List.of(out)));
    return out;
  }

  /** Adds a node whose output shape is inferred from its inputs. */
  public int node(Op op, List<Integer> inputs, String name, DType dtype, Quantization quant) {
    List<TensorType> ins = new ArrayList<>();
    for (int id : inputs) {
      ins.add(id == Node.ABSENT ? null : type(id));
    }
    Shape shape = ShapeInference.infer(op, ins);
    return node(op, inputs, name, new TensorType(dtype, shape, quant));
  }

  /** Every reader of {@code oldValue} (nodes and graph outputs) reads {@code newValue} instead. */
  public void replace(int oldValue, int newValue) {
    replaced.put(oldValue, newValue);
  }

  /** The type of an existing or newly added value. */
  public TensorType type(int id) {
    return value(id).type();
  }

  /** An existing or newly added value. */
  public Value value(int id) {
    return id < graph.values().size() ? graph.value(id) : added.get(id - graph.values().size());
  }

  /** The new graph: readers redirected, new nodes in place, unused nodes and values removed. */
  Graph apply() {
    List<Value> values = new ArrayList<>(graph.values());
    values.addAll(added);
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < graph.nodes().size(); i++) {
      if (i == rootIndex) {
        inserted.forEach(n -> nodes.add(redirect(n)));
      }
      nodes.add(redirect(graph.nodes().get(i)));
    }
    List<Integer> outputs = graph.outputs().stream().map(this::resolve).toList();
    return DeadCode.prune(new Graph(graph.name(), values, nodes, graph.inputs(), outputs));
  }

  private Node redirect(Node n) {
    List<Integer> ins = n.inputs().stream().map(id -> id == Node.ABSENT ? id : resolve(id))
        .toList();
    return ins.equals(n.inputs()) ? n : new Node(n.op(), ins, n.outputs());
  }

  private int resolve(int id) {
    Integer r = replaced.get(id);
    // Chains are possible when one rewrite replaces a value by one it also replaces.
    return r == null ? id : resolve(r);
  }

  private int newValue(String name, TensorType type, ConstData data) {
    int id = graph.values().size() + added.size();
    added.add(new Value(id, name, type, data));
    return id;
  }
}
