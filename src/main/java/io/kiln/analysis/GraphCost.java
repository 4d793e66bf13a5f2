package io.kiln.analysis;

import java.util.List;

/**
 * Static costs of a whole graph: every operator's {@link NodeCost} and the totals.
 *
 * @param paramBytes bytes of distinct constants the operators read (a shared constant counts once)
 * @param peakActivationBytes the largest sum of live activation tensors at any operator: its
 *     inputs, its output, and every earlier result still needed later. It is the arena size a
 *     planner needs if no two live tensors may share memory, a lower bound for any plan that
 *     does not compute in place.
 * @param totalActivationBytes bytes of all graph inputs and operator results, as if none shared
 *     memory
 */
public record GraphCost(String model, List<NodeCost> nodes, long macs, long paramBytes,
    long peakActivationBytes, long totalActivationBytes) {
  public GraphCost {
    nodes = List.copyOf(nodes);
  }

  public int ops() {
    return nodes.size();
  }
}
