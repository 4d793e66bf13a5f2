package io.kiln.passes;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Verifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An ordered list of named passes, read top to bottom; {@link #DEFAULT} is what {@code kiln run}
 * and {@code kiln opt} apply. With {@link #verifying()} the IR verifier checks the graph after
 * every pass (tests always do).
 */
public record Pipeline(List<Pass> stages, boolean verifyEach) {

  /** The standard optimization pipeline for imported models. */
  public static final Pipeline DEFAULT = new Pipeline(List.of(
      new RulePass("fold-constants", Rules.FOLD_CONSTANTS),
      new RulePass("remove-identities", Rules.IDENTITIES),
      new RulePass("fold-batchnorm", Rules.FOLD_BATCHNORM),
      new RulePass("fold-pad", Rules.FOLD_PAD),
      new RulePass("fuse-activation", Rules.FUSE_ACTIVATION),
      new RulePass("eliminate-qdq", Rules.QDQ),
      new RulePass("fold-dequantized-constants", Rules.FOLD_DEQUANTIZE),
      new RulePass("fuse-after-qdq", Rules.FUSE_AFTER_QDQ),
      new RulePass("normalize-layout", Rules.LAYOUT),
      new RulePass("remove-identities-late", Rules.IDENTITIES),
      Pass.of("dead-code", DeadCode::prune),
      Pass.of("recognize-nm-sparsity", NmRecognition::apply)), false);

  public Pipeline {
    stages = List.copyOf(stages);
  }

  public Pipeline verifying() {
    return new Pipeline(stages, true);
  }

  /** The graph after one stage, and whether that stage changed it. */
  public record StageResult(String pass, Graph graph, boolean changed) {}

  /** Every stage's output, in order, and the log of rule decisions. */
  public record Result(Graph input, List<StageResult> stages, PassLog log) {
    public Graph graph() {
      return stages.isEmpty() ? input : stages.get(stages.size() - 1).graph();
    }
  }

  public Result run(Graph g) {
    PassLog log = new PassLog();
    List<StageResult> out = new ArrayList<>();
    Graph cur = g;
    for (Pass p : stages) {
      Graph next = p.run(cur, log);
      if (verifyEach && next != cur) {
        List<String> problems = Verifier.check(next);
        if (!problems.isEmpty()) {
          throw new IllegalStateException("pass " + p.name() + " produced an invalid graph: "
              + String.join("; ", problems));
        }
      }
      out.add(new StageResult(p.name(), next, next != cur));
      cur = next;
    }
    return new Result(g, out, log);
  }

  public Graph apply(Graph g) {
    return run(g).graph();
  }

  /** The named stages of {@link #DEFAULT}, in order, for {@code --passes a,b,c}. */
  public static Pipeline of(List<String> names) {
    Map<String, Pass> known = DEFAULT.stages().stream()
        .collect(Collectors.toMap(Pass::name, Function.identity(), (a, b) -> a,
            java.util.LinkedHashMap::new));
    List<Pass> chosen = new ArrayList<>();
    for (String n : names) {
      Pass p = known.get(n.strip());
      if (p == null) {
        throw new KilnException("unknown pass '" + n.strip() + "'; known passes: "
            + String.join(", ", known.keySet()));
      }
      chosen.add(p);
    }
    return new Pipeline(chosen, false);
  }
}
