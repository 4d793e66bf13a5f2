package io.kiln.passes;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import java.util.List;

/**
 * Applies a rule set until no rule matches: each sweep tries every rule at every node in order and
 * restarts after the first rewrite. Refusals are logged from the final sweep only, so each is
 * reported once and describes the graph the pass returns.
 */
public record RulePass(String name, List<Rule> rules) implements Pass {
  /** A bound on rewrites; rule sets must terminate long before this. */
  private static final int MAX_REWRITES = 10_000;

  public RulePass {
    rules = List.copyOf(rules);
  }

  @Override
  public Graph run(Graph g, PassLog log) {
    for (int rewrites = 0; rewrites < MAX_REWRITES; rewrites++) {
      PassLog sweep = new PassLog();
      Graph next = sweep(g, sweep);
      if (next == g) {
        sweep.rejected().forEach(e -> log.rejected(e.pass(), e.rule(), e.where(), e.reason()));
        return g;
      }
      sweep.applied().forEach(e -> log.applied(e.pass(), e.rule(), e.where()));
      g = next;
    }
    throw new IllegalStateException("pass " + name + " did not terminate");
  }

  /** One sweep: the graph after the first rewrite found, or {@code g} itself if none applies. */
  private Graph sweep(Graph g, PassLog log) {
    GraphIndex idx = new GraphIndex(g);
    for (int i = 0; i < g.nodes().size(); i++) {
      Node n = g.nodes().get(i);
      String where = "%" + n.output() + " \"" + g.value(n.output()).name() + "\" ("
          + n.op().opName() + ")";
      for (Rule r : rules) {
        switch (Pattern.matchNode(r.pattern(), idx, n)) {
          case Pattern.Result.NotApplicable na -> { }
          case Pattern.Result.Mismatch mm -> log.rejected(name, r.name(), where, mm.reason());
          case Pattern.Result.Matched m -> {
            GraphEdit edit = new GraphEdit(g, i);
            switch (r.rewriter().rewrite(m.match(), edit)) {
              case Rule.Outcome.Rewritten rw -> {
                log.applied(name, r.name(), where);
                return edit.apply();
              }
              case Rule.Outcome.Rejected rj -> log.rejected(name, r.name(), where, rj.reason());
              case Rule.Outcome.Skipped s -> { }
            }
          }
        }
      }
    }
    return g;
  }
}
