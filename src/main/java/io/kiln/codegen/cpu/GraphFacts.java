package io.kiln.codegen.cpu;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** What the CPU backend asks of a whole graph or a node before it writes files: shapes for comments, includes. */
final class GraphFacts {
  private GraphFacts() {}

  /** {@code [1,10] <- i8[1,49,10,1], ...}: a layer's output and input shapes, for the layer's comment. */
  static String describe(Graph graph, Node n) {
    StringBuilder sb = new StringBuilder();
    sb.append(graph.output(n).shape()).append(" <- ");
    boolean first = true;
    for (int id : n.inputs()) {
      if (id == Node.ABSENT) {
        continue;
      }
      sb.append(first ? "" : ", ").append(graph.value(id).dtype().shortName())
          .append(graph.value(id).shape());
      first = false;
    }
    return sb.toString();
  }

  /** Whether the audio front-end's header is needed. */
  static boolean usesSignalOps(Graph graph) {
    return graph.nodes().stream().anyMatch(n -> n.op() instanceof Op.Signal);
  }

  /** Whether a float kernel calls libm. */
  static boolean usesFloatMath(Graph graph) {
    for (Node n : graph.nodes()) {
      if ((n.op() instanceof Op.Quantize || n.op() instanceof Op.UnidirectionalLstm
          || FloatOpsEmitter.usesMath(n.op()))
          && graph.input(n, 0).dtype() == DType.FLOAT32) {
        return true;
      }
    }
    return false;
  }
}
