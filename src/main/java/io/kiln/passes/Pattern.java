package io.kiln.passes;

import io.kiln.ir.Node;
import io.kiln.ir.Op;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A tree pattern over producers with named captures: an operator (one of some record types) whose
 * input slots match sub-patterns, a constant, or any value. Matching says why it failed, so rules
 * can report why they did not apply.
 */
public sealed interface Pattern {

  /** An operator node of one of {@code ops} (any operator if empty). */
  record OpPattern(String capture, Set<Class<? extends Op>> ops, Map<Integer, Pattern> inputs,
      boolean singleUse) implements Pattern {
    public OpPattern {
      ops = Set.copyOf(ops);
      // Sorted by slot so that the first mismatch reported is deterministic.
      inputs = Collections.unmodifiableMap(new TreeMap<>(inputs));
    }

    /** The same pattern with {@code slot} matched by {@code p}. */
    public OpPattern in(int slot, Pattern p) {
      Map<Integer, Pattern> m = new LinkedHashMap<>(inputs);
      m.put(slot, p);
      return new OpPattern(capture, ops, m, singleUse);
    }

    /**
     * Requires the node's output to have no reader but the pattern's consumer (and not be a graph
     * output), because the rewrite will remove the node.
     */
    public OpPattern oneUse() {
      return new OpPattern(capture, ops, inputs, true);
    }

    boolean accepts(Op op) {
      return ops.isEmpty() || ops.stream().anyMatch(c -> c.isInstance(op));
    }

    String expected() {
      return ops.stream().map(Class::getSimpleName).sorted().collect(Collectors.joining("|"));
    }
  }

  /** A constant value. */
  record ConstPattern(String capture) implements Pattern {}

  /** Any value: a graph input, a constant or an operator result. */
  record AnyPattern(String capture) implements Pattern {}

  @SafeVarargs
  static OpPattern op(String capture, Class<? extends Op>... ops) {
    return new OpPattern(capture, Set.of(ops), Map.of(), false);
  }

  static ConstPattern constant(String capture) {
    return new ConstPattern(capture);
  }

  static AnyPattern any(String capture) {
    return new AnyPattern(capture);
  }

  /** What matching a pattern at one place found. */
  sealed interface Result {
    /** The root is not the kind of node the pattern is about: nothing worth reporting. */
    record NotApplicable() implements Result {}

    record Mismatch(String reason) implements Result {}

    record Matched(Match match) implements Result {}
  }

  /** Matches an operator pattern rooted at {@code root}. */
  static Result matchNode(OpPattern p, GraphIndex idx, Node root) {
    if (!p.accepts(root.op())) {
      return new Result.NotApplicable();
    }
    Match m = new Match(idx);
    List<String> why = new ArrayList<>();
    return bindNode(p, idx, root, m, why, true) ? new Result.Matched(m)
        : new Result.Mismatch(why.get(0));
  }

  /** Matches {@code p} against the value {@code id} (a rule's optional sub-pattern). */
  static Result matchValue(Pattern p, GraphIndex idx, int id) {
    Match m = new Match(idx);
    List<String> why = new ArrayList<>();
    return bind(p, idx, id, m, why) ? new Result.Matched(m) : new Result.Mismatch(why.get(0));
  }

  private static boolean bind(Pattern p, GraphIndex idx, int id, Match m, List<String> why) {
    String what = "%" + id + " \"" + idx.graph().value(id).name() + "\"";
    switch (p) {
      case AnyPattern a -> {
        m.bindValue(a.capture(), id);
        return true;
      }
      case ConstPattern c -> {
        if (!idx.graph().value(id).isConstant()) {
          why.add(what + " is not a constant");
          return false;
        }
        m.bindValue(c.capture(), id);
        return true;
      }
      case OpPattern o -> {
        Node n = idx.producer(id);
        if (n == null) {
          String kind = idx.graph().value(id).isConstant() ? "a constant" : "a graph input";
          why.add(what + " is " + kind + ", not the output of " + o.expected());
          return false;
        }
        if (!o.accepts(n.op())) {
          why.add(what + " is produced by " + n.op().opName() + ", not " + o.expected());
          return false;
        }
        return bindNode(o, idx, n, m, why, false);
      }
    }
  }

  private static boolean bindNode(OpPattern p, GraphIndex idx, Node n, Match m, List<String> why,
      boolean root) {
    if (!root && p.singleUse() && idx.uses(n.output()) != 1) {
      why.add("%" + n.output() + " (" + n.op().opName() + ") has other uses"
          + (idx.isGraphOutput(n.output()) ? " (it is a graph output)" : ""));
      return false;
    }
    m.bindNode(p.capture(), n);
    for (Map.Entry<Integer, Pattern> e : p.inputs().entrySet()) {
      int in = n.input(e.getKey());
      if (in == Node.ABSENT) {
        why.add(n.op().opName() + " has no input " + e.getKey());
        return false;
      }
      if (!bind(e.getValue(), idx, in, m, why)) {
        return false;
      }
    }
    return true;
  }
}
