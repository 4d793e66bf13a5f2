package io.kiln.passes;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Dead-node and unused-value elimination: drops nodes whose results nobody reads (transitively)
 * and constants nobody reads, then renumbers values densely in their original order. Graph inputs
 * stay even when unused: they are the model's interface.
 */
public final class DeadCode {
  private DeadCode() {}

  /** The graph without dead nodes and unused constants; the same instance if there are none. */
  public static Graph prune(Graph g) {
    boolean[] live = new boolean[g.values().size()];
    for (int out : g.outputs()) {
      live[out] = true;
    }
    boolean[] keepNode = new boolean[g.nodes().size()];
    // Nodes are in execution order, so one backward sweep sees every reader before its producer.
    for (int i = g.nodes().size() - 1; i >= 0; i--) {
      Node n = g.nodes().get(i);
      if (n.outputs().stream().anyMatch(o -> live[o])) {
        keepNode[i] = true;
        for (int in : n.inputs()) {
          if (in != Node.ABSENT) {
            live[in] = true;
          }
        }
      }
    }
    for (int in : g.inputs()) {
      live[in] = true;
    }
    for (int i = 0; i < keepNode.length; i++) {
      // Every result of a kept node stays, even one nobody reads: the node still writes it.
      if (keepNode[i]) {
        g.nodes().get(i).outputs().forEach(o -> live[o] = true);
      }
    }
    // Renumber in definition order (inputs and constants, then results in node order) so that
    // values a rewrite appended read naturally in the text form.
    int[] newId = new int[live.length];
    java.util.Arrays.fill(newId, -1);
    List<Value> values = new ArrayList<>();
    for (Value v : g.values()) {
      if (live[v.id()] && g.inputs().contains(v.id()) || live[v.id()] && v.isConstant()) {
        newId[v.id()] = values.size();
        values.add(v);
      }
    }
    for (int i = 0; i < keepNode.length; i++) {
      if (keepNode[i]) {
        for (int o : g.nodes().get(i).outputs()) {
          newId[o] = values.size();
          values.add(g.value(o));
        }
      }
    }
    for (int i = 0; i < values.size(); i++) {
      Value v = values.get(i);
      if (v.id() != i) {
        values.set(i, new Value(i, v.name(), v.type(), v.data()));
      }
    }
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < keepNode.length; i++) {
      if (keepNode[i]) {
        Node n = g.nodes().get(i);
        nodes.add(new Node(n.op(), remap(n.inputs(), newId), remap(n.outputs(), newId)));
      }
    }
    // Order alone is no reason for a new graph: passes must return the same instance when
    // nothing was removed.
    if (values.size() == g.values().size() && nodes.size() == g.nodes().size()) {
      return g;
    }
    return new Graph(g.name(), values, nodes, remap(g.inputs(), newId),
        remap(g.outputs(), newId));
  }

  private static List<Integer> remap(List<Integer> ids, int[] newId) {
    return ids.stream().map(id -> id == Node.ABSENT ? id : newId[id]).toList();
  }
}
