package io.kiln.plan.dispatch;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where every node of a graph runs and why: for each node the chosen unit, the accelerators that
 * accepted it (with the pattern), and every (unit, reason) rejection.
 *
 * @param policy the policy that chose among accepting accelerators
 */
public record DispatchResult(String target, String policy, Graph graph, List<LayerDispatch> layers) {

  public DispatchResult {
    layers = List.copyOf(layers);
  }

  /** A rejection: the unit (target-qualified, {@code diana.analog}) and the reason. */
  public record Rejection(String unit, String reason) {}

  /** An accepting accelerator and the operator pattern of the description that matched. */
  public record Acceptance(String unit, String pattern) {}

  /**
   * One node's placement.
   *
   * @param layer the matched layer view; empty for operators no pattern describes. A layer with
   *     fused stages ({@link Layer#fused()}) runs them in its own calls.
   * @param unit the unit it runs on (the CPU's name when no accelerator takes it)
   * @param accepted the accelerators that accept the node as a layer of its own
   * @param fusedInto the index of the layer whose calls run this node in their output stage;
   *     then {@code unit} is that layer's, and {@code accepted}/{@code rejections} say how the
   *     node would run on its own
   */
  public record LayerDispatch(int index, Node node, Optional<Layer> layer, String unit,
      List<Acceptance> accepted, List<Rejection> rejections, OptionalInt fusedInto) {
    public LayerDispatch {
      accepted = List.copyOf(accepted);
      rejections = List.copyOf(rejections);
    }

    /** A node that runs as a layer of its own. */
    public LayerDispatch(int index, Node node, Optional<Layer> layer, String unit,
        List<Acceptance> accepted, List<Rejection> rejections) {
      this(index, node, layer, unit, accepted, rejections, OptionalInt.empty());
    }

    public boolean accelerable() {
      return !accepted.isEmpty();
    }

    /** Whether another layer's calls run this node (see {@link #fusedInto}). */
    public boolean fused() {
      return fusedInto.isPresent();
    }
  }

  /** For every layer that runs fused nodes in its calls, those nodes in dataflow order. */
  public Map<Node, List<Node>> fusedByRoot() {
    Map<Node, List<Node>> out = new LinkedHashMap<>();
    for (LayerDispatch l : layers) {
      List<Node> fused = l.fused() ? List.of() : l.layer().map(Layer::fusedNodes).orElse(List.of());
      if (!fused.isEmpty()) {
        out.put(l.node(), fused);
      }
    }
    return out;
  }

  /** Every (node, unit, reason) of the dispatch, in node order. */
  public List<String> reasons() {
    return layers.stream().flatMap(l -> l.rejections().stream()
        .map(r -> "%" + l.node().output() + " " + r.unit() + ": " + r.reason())).toList();
  }
}
