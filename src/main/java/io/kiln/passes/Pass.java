package io.kiln.passes;

import io.kiln.ir.Graph;

/** A graph-to-graph transformation; returns the same instance when it changes nothing. */
public interface Pass {
  String name();

  Graph run(Graph g, PassLog log);

  /** A pass built from a function (for whole-graph passes that are not rule sets). */
  static Pass of(String name, java.util.function.UnaryOperator<Graph> f) {
    return new Pass() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Graph run(Graph g, PassLog log) {
        Graph out = f.apply(g);
        if (out != g) {
          log.applied(name, name, "graph " + g.name());
        }
        return out;
      }
    };
  }
}
