package io.kiln.passes;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import java.util.LinkedHashMap;
import java.util.Map;

/** The named captures of a successful {@link Pattern} match: nodes and values by name. */
public final class Match {
  private final GraphIndex index;
  private final Graph graph;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Map<String, Integer> values = new LinkedHashMap<>();

  Match(GraphIndex index) {
    this.index = index;
    this.graph = index.graph();
  }

  /** Producers and use counts of the matched graph, for rules that match sub-patterns. */
  public GraphIndex index() {
    return index;
  }

  void bindNode(String name, Node n) {
    nodes.put(name, n);
    values.put(name, n.output());
  }

  void bindValue(String name, int id) {
    values.put(name, id);
  }

  /** Captures of {@code other} join this match (for sub-patterns matched by a rule). */
  Match merge(Match other) {
    nodes.putAll(other.nodes);
    values.putAll(other.values);
    return this;
  }

  public Graph graph() {
    return graph;
  }

  public Node node(String name) {
    Node n = nodes.get(name);
    if (n == null) {
      throw new IllegalArgumentException("no node captured as '" + name + "'");
    }
    return n;
  }

  /** The captured node's operator, as the record type the pattern restricted it to. */
  public <T extends Op> T op(String name, Class<T> type) {
    return type.cast(node(name).op());
  }

  /** A captured value: a leaf capture, or the output of a captured node. */
  public Value value(String name) {
    return graph.value(id(name));
  }

  public int id(String name) {
    Integer id = values.get(name);
    if (id == null) {
      throw new IllegalArgumentException("no value captured as '" + name + "'");
    }
    return id;
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }
}
