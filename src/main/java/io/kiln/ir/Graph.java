package io.kiln.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * An immutable dataflow graph: values (inputs, constants, operator results) and nodes in
 * execution order. Build one with {@link GraphBuilder}; check one with {@link Verifier}.
 */
public record Graph(String name, List<Value> values, List<Node> nodes, List<Integer> inputs,
    List<Integer> outputs) {

  public Graph {
    values = List.copyOf(values);
    nodes = List.copyOf(nodes);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  public Value value(int id) {
    return values.get(id);
  }

  public TensorType type(int id) {
    return values.get(id).type();
  }

  public List<Value> inputValues() {
    return inputs.stream().map(values::get).toList();
  }

  public List<Value> outputValues() {
    return outputs.stream().map(values::get).toList();
  }

  /** Types of a node's inputs, with {@code null} for absent optional inputs. */
  public List<TensorType> inputTypes(Node n) {
    List<TensorType> ts = new ArrayList<>();
    for (int id : n.inputs()) {
      ts.add(id == Node.ABSENT ? null : type(id));
    }
    return ts;
  }

  /** The value feeding {@code slot} of {@code n}; fails if that optional input is absent. */
  public Value input(Node n, int slot) {
    int id = n.input(slot);
    if (id == Node.ABSENT) {
      throw new IllegalStateException(n.op().opName() + " has no input in slot " + slot);
    }
    return values.get(id);
  }

  public Value output(Node n) {
    return values.get(n.output());
  }

  public Graph withNodes(List<Node> newNodes) {
    return newNodes.equals(nodes) ? this : new Graph(name, values, newNodes, inputs, outputs);
  }
}
