package io.kiln.analysis;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Computes {@link GraphCost}: MACs, parameter bytes and activation memory of a graph. */
public final class CostAnalysis {
  private CostAnalysis() {}

  public static GraphCost analyze(Graph g) {
    List<NodeCost> costs = new ArrayList<>();
    Set<Integer> params = new HashSet<>();
    long macs = 0;
    for (int k = 0; k < g.nodes().size(); k++) {
      Node n = g.nodes().get(k);
      List<Operand> ins = new ArrayList<>();
      long paramBytes = 0;
      long actBytes = 0;
      // A value read twice (add(x, x)) is stored once, so bytes count distinct values.
      Set<Integer> seen = new HashSet<>();
      for (int id : n.inputs()) {
        if (id == Node.ABSENT) {
          continue;
        }
        Operand o = operand(g.value(id));
        ins.add(o);
        if (!seen.add(id)) {
          continue;
        }
        if (o.constant()) {
          paramBytes += o.bytes();
          params.add(id);
        } else {
          actBytes += o.bytes();
        }
      }
      Operand out = operand(g.output(n));
      long m = Macs.of(g, n);
      macs += m;
      costs.add(new NodeCost(k, n.op().opName(), ins, out, m, paramBytes, actBytes, out.bytes()));
    }
    long paramTotal = 0;
    for (int id : params) {
      paramTotal += g.type(id).encodedBytes();
    }
    return new GraphCost(g.name(), costs, macs, paramTotal, peakLive(g), totalActivations(g));
  }

  /** Bytes of the graph inputs and every operator result. */
  static long totalActivations(Graph g) {
    Set<Integer> ids = new LinkedHashSet<>(g.inputs());
    for (Node n : g.nodes()) {
      ids.addAll(n.outputs());
    }
    long total = 0;
    for (int id : ids) {
      total += g.type(id).bytes();
    }
    return total;
  }

  /**
   * Largest sum of live activations over the operators. A value is live from the step that
   * defines it (graph inputs: before the first operator) through its last reader; graph outputs
   * stay live to the end, since the caller reads them after the run.
   */
  static long peakLive(Graph g) {
    int steps = g.nodes().size();
    int[] def = new int[g.values().size()];
    int[] last = new int[g.values().size()];
    java.util.Arrays.fill(def, -2);
    java.util.Arrays.fill(last, -2);
    for (int id : g.inputs()) {
      def[id] = 0;
      last[id] = 0;
    }
    for (int k = 0; k < steps; k++) {
      Node n = g.nodes().get(k);
      for (int id : n.inputs()) {
        if (id != Node.ABSENT && !g.value(id).isConstant()) {
          last[id] = Math.max(last[id], k);
        }
      }
      for (int id : n.outputs()) {
        def[id] = k;
        last[id] = Math.max(last[id], k);
      }
    }
    for (int id : g.outputs()) {
      last[id] = Math.max(last[id], steps - 1);
    }
    long peak = 0;
    for (int k = 0; k < Math.max(steps, 1); k++) {
      long live = 0;
      for (Value v : g.values()) {
        int id = v.id();
        if (def[id] != -2 && def[id] <= k && k <= last[id]) {
          live += v.type().bytes();
        }
      }
      peak = Math.max(peak, live);
    }
    return peak;
  }

  private static Operand operand(Value v) {
    return new Operand(v.id(), v.name(), v.type(), v.isConstant());
  }
}
