package io.kiln.ir;

import io.kiln.KilnException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks the structural invariants of a {@link Graph}: ids, single assignment, execution order,
 * shapes against {@link ShapeInference}, operator dtypes and quantization consistency. Tests run
 * it after every pass; importers run it on what they produce.
 */
public final class Verifier {
  private Verifier() {}

  /** Throws {@link KilnException} describing every problem found, or returns the graph. */
  public static Graph verify(Graph g) {
    List<String> problems = check(g);
    if (!problems.isEmpty()) {
      throw new KilnException("invalid graph '" + g.name() + "': " + String.join("; ", problems));
    }
    return g;
  }

  public static List<String> check(Graph g) {
    List<String> p = new ArrayList<>();
    List<Value> values = g.values();
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i).id() != i) {
        p.add("value at index " + i + " has id " + values.get(i).id());
      }
    }
    boolean[] defined = new boolean[values.size()];
    for (int in : g.inputs()) {
      if (!valid(in, values)) {
        p.add("graph input " + in + " does not exist");
        continue;
      }
      if (values.get(in).isConstant()) {
        p.add("graph input %" + in + " is a constant");
      }
      defined[in] = true;
    }
    for (Value v : values) {
      if (v.isConstant()) {
        defined[v.id()] = true;
      }
      StageRules.check(v, p);
    }
    for (int ni = 0; ni < g.nodes().size(); ni++) {
      Node n = g.nodes().get(ni);
      String where = "node " + ni + " (" + n.op().opName() + ")";
      boolean ok = true;
      for (int in : n.inputs()) {
        if (in == Node.ABSENT) {
          continue;
        }
        if (!valid(in, values)) {
          p.add(where + " reads nonexistent value " + in);
          ok = false;
        } else if (!defined[in]) {
          p.add(where + " reads %" + in + " before it is defined");
          ok = false;
        }
      }
      for (int out : n.outputs()) {
        if (!valid(out, values)) {
          p.add(where + " writes nonexistent value " + out);
          ok = false;
        } else if (defined[out]) {
          p.add(where + " redefines %" + out);
          ok = false;
        } else {
          defined[out] = true;
        }
      }
      if (!ok) {
        continue;
      }
      if (n.outputs().size() != 1) {
        p.add(where + " has " + n.outputs().size() + " outputs, expected 1");
        continue;
      }
      try {
        Shape inferred = ShapeInference.infer(n.op(), g.inputTypes(n));
        Shape declared = g.type(n.output()).shape();
        if (!inferred.equals(declared)) {
          p.add(where + " output %" + n.output() + " declared " + declared + " but infers "
              + inferred);
        }
      } catch (KilnException e) {
        // The type rules assume the inputs have the arity and ranks shape inference checked.
        p.add(where + ": " + e.getMessage());
        continue;
      }
      OpTypeRules.check(n.op(), g.inputTypes(n), g.type(n.output()), where, p);
      StageRules.check(n.op(), g.inputTypes(n), g.type(n.output()), where, p);
    }
    for (int out : g.outputs()) {
      if (!valid(out, values) || !defined[out]) {
        p.add("graph output " + out + " is never defined");
      }
    }
    return p;
  }

  private static boolean valid(int id, List<Value> values) {
    return id >= 0 && id < values.size();
  }
}
