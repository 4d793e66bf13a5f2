package io.kiln.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * Mutable builder for {@link Graph}. Operator results get their shape from
 * {@link ShapeInference} unless the caller gives a full type.
 */
public final class GraphBuilder {
  private final String name;
  private final List<Value> values = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  private final List<Integer> inputs = new ArrayList<>();
  private final List<Integer> outputs = new ArrayList<>();

  public GraphBuilder(String name) {
    this.name = name;
  }

  public int input(String valueName, TensorType type) {
    int id = newValue(valueName, type, null);
    inputs.add(id);
    return id;
  }

  public int constant(String valueName, TensorType type, ConstData data) {
    return newValue(valueName, type, data);
  }

  /** Declares a value that a later {@link #node} call produces (importers know types upfront). */
  public int value(String valueName, TensorType type) {
    return newValue(valueName, type, null);
  }

  /** Adds a node whose outputs were declared with {@link #value}. */
  public void node(Op op, List<Integer> inputIds, List<Integer> outputIds) {
    nodes.add(new Node(op, inputIds, outputIds));
  }

  /**
   * Adds a single-output node whose output shape is inferred; {@code dtype} and {@code quant}
   * describe the result.
   */
  public int apply(Op op, List<Integer> inputIds, String outName, DType dtype, Quantization quant) {
    List<TensorType> ins = new ArrayList<>();
    for (int id : inputIds) {
      ins.add(id == Node.ABSENT ? null : values.get(id).type());
    }
    Shape shape = ShapeInference.infer(op, ins);
    int out = newValue(outName, new TensorType(dtype, shape, quant), null);
    nodes.add(new Node(op, inputIds, List.of(out)));
    return out;
  }

  public void output(int id) {
    outputs.add(id);
  }

  public TensorType type(int id) {
    return values.get(id).type();
  }

  public Graph build() {
    return new Graph(name, values, nodes, inputs, outputs);
  }

  private int newValue(String valueName, TensorType type, ConstData data) {
    int id = values.size();
    values.add(new Value(id, valueName, type, data));
    return id;
  }
}
