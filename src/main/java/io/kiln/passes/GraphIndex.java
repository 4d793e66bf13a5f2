package io.kiln.passes;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import java.util.Arrays;

/** Who produces each value of a graph and how often it is read, for pattern matching. */
public final class GraphIndex {
  private final Graph graph;
  private final int[] producer;
  private final int[] uses;

  public GraphIndex(Graph graph) {
    this.graph = graph;
    int n = graph.values().size();
    producer = new int[n];
    uses = new int[n];
    Arrays.fill(producer, -1);
    for (int i = 0; i < graph.nodes().size(); i++) {
      Node node = graph.nodes().get(i);
      for (int out : node.outputs()) {
        producer[out] = i;
      }
      for (int in : node.inputs()) {
        if (in != Node.ABSENT) {
          uses[in]++;
        }
      }
    }
    // A graph output is a use that no rewrite may take away.
    for (int out : graph.outputs()) {
      uses[out]++;
    }
  }

  public Graph graph() {
    return graph;
  }

  /** The node computing {@code valueId}, or null for inputs and constants. */
  public Node producer(int valueId) {
    int p = producer[valueId];
    return p < 0 ? null : graph.nodes().get(p);
  }

  /** Reads of {@code valueId} by nodes, plus one if it is a graph output. */
  public int uses(int valueId) {
    return uses[valueId];
  }

  public boolean isGraphOutput(int valueId) {
    return graph.outputs().contains(valueId);
  }
}
