package io.kiln.passes;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a node a rule wants to create is valid IR that the reference interpreter can prepare,
 * checked on a one-node graph; rules refuse with the verifier's or the kernel's reason otherwise.
 */
final class Feasibility {
  private Feasibility() {}

  /** Null if {@code op} on {@code inputs} (values of {@code e}'s graph or new constants) works. */
  static String check(GraphEdit e, Op op, List<Integer> inputs, TensorType out) {
    List<Value> values = new ArrayList<>();
    List<Integer> graphInputs = new ArrayList<>();
    List<Integer> ins = new ArrayList<>();
    for (int id : inputs) {
      if (id == Node.ABSENT) {
        ins.add(Node.ABSENT);
        continue;
      }
      Value v = e.value(id);
      int nid = values.size();
      values.add(new Value(nid, v.name(), v.type(), v.data()));
      if (!v.isConstant()) {
        graphInputs.add(nid);
      }
      ins.add(nid);
    }
    int o = values.size();
    values.add(new Value(o, "out", out, null));
    Graph single = new Graph("check", values, List.of(new Node(op, ins, List.of(o))),
        graphInputs, List.of(o));
    List<String> problems = Verifier.check(single);
    if (!problems.isEmpty()) {
      return String.join("; ", problems);
    }
    try {
      new Interpreter(single);
      return null;
    } catch (KilnException ex) {
      return ex.getMessage();
    }
  }
}
