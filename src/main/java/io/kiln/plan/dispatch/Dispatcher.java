package io.kiln.plan.dispatch;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.passes.GraphIndex;
import io.kiln.plan.dispatch.DispatchResult.Acceptance;
import io.kiln.plan.dispatch.DispatchResult.LayerDispatch;
import io.kiln.plan.dispatch.DispatchResult.Rejection;
import io.kiln.plan.dispatch.DispatchRule.Site;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.OpPattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Decides where every node of an integer graph runs: matches it against the named layer
 * patterns, tries each accelerator's operator patterns of that kind under {@link DispatchRules},
 * lets the policy choose among the accelerators that accept, and leaves the rest on the CPU with
 * every accelerator's reason.
 */
public final class Dispatcher {
  private Dispatcher() {}

  /**
   * @param narrowInputs whether activations may be narrowed to an array's input bits (the user
   *     asked for {@code --ternarize})
   * @param cycles the estimate {@link Policy#LOWEST_CYCLES} compares
   */
  public record Options(Policy policy, boolean narrowInputs, Policy.CycleEstimate cycles) {
    public static Options of(Policy policy) {
      return new Options(policy, false, null);
    }
  }

  public static DispatchResult dispatch(Graph g, HardwareDescription hw, Options o) {
    o.policy().check(hw);
    Policy.CycleEstimate cycles = o.cycles() != null ? o.cycles() : idealCycles(hw);
    GraphIndex idx = new GraphIndex(g);
    List<Optional<Layer>> layers = new ArrayList<>();
    List<List<Acceptance>> accepted = new ArrayList<>();
    List<List<Rejection>> rejected = new ArrayList<>();
    for (Node n : g.nodes()) {
      LayerPatterns.Result m = LayerPatterns.match(idx, n);
      List<Acceptance> acc = new ArrayList<>();
      List<Rejection> rej = new ArrayList<>();
      for (Accelerator a : hw.accelerators()) {
        String unit = targetLabel(hw) + "." + a.name();
        if (m.layer().isEmpty()) {
          rej.add(new Rejection(a.name(), m.mismatch().map(why -> "pattern " + why
              + "; " + unit + " needs constant weights").orElse(n.op().opName()
              + " has no pattern on " + unit + " (it executes " + kinds(a) + "); runs on "
              + hw.cpu().name())));
          continue;
        }
        Layer layer = m.layer().get();
        List<OpPattern> patterns = a.patterns(layer.kind());
        if (patterns.isEmpty()) {
          rej.add(new Rejection(a.name(), kindName(layer.kind()) + " not supported by " + unit
              + (layer.depthwise() ? " (depthwise unsupported; the dla preset takes"
                  + " dw=native|emulated)" : " (it executes " + kinds(a) + ")")));
          continue;
        }
        Optional<String> firstReason = Optional.empty();
        for (OpPattern p : patterns) {
          List<String> reasons = check(layer, new Site(targetLabel(hw), a, p, o.narrowInputs()));
          if (reasons.isEmpty()) {
            acc.add(new Acceptance(a.name(), p.name()));
            firstReason = Optional.empty();
            break;
          }
          if (firstReason.isEmpty()) {
            firstReason = Optional.of(String.join("; ", reasons));
          }
        }
        firstReason.ifPresent(r -> rej.add(new Rejection(a.name(), r)));
      }
      layers.add(m.layer());
      accepted.add(acc);
      rejected.add(rej);
    }
    int first = -1;
    int last = -1;
    for (int i = 0; i < accepted.size(); i++) {
      if (!accepted.get(i).isEmpty()) {
        first = first < 0 ? i : first;
        last = i;
      }
    }
    List<LayerDispatch> out = new ArrayList<>();
    for (int i = 0; i < g.nodes().size(); i++) {
      String unit = accepted.get(i).isEmpty() ? hw.cpu().name()
          : o.policy().choose(layers.get(i).get(), accepted.get(i), i == first || i == last,
              cycles);
      out.add(new LayerDispatch(i, g.nodes().get(i), layers.get(i), unit, accepted.get(i),
          rejected.get(i)));
    }
    return new DispatchResult(hw.name(), o.policy().cliName(), g, out);
  }

  /** The target as reasons name it: {@code dla} for every parameterization of the preset. */
  public static String targetLabel(HardwareDescription hw) {
    int colon = hw.name().indexOf(':');
    return colon < 0 ? hw.name() : hw.name().substring(0, colon);
  }

  /** Every rule's rejection of {@code layer} at {@code site}, in rule order. */
  public static List<String> check(Layer layer, Site site) {
    List<String> reasons = new ArrayList<>();
    for (DispatchRule r : DispatchRules.ALL) {
      if (r.apply(layer, site) instanceof Verdict.Reject rj) {
        reasons.add(rj.reason());
      }
    }
    return reasons;
  }

  /**
   * Array-bound cycles: MACs over the peak plus the per-call overhead; what lowest-cycles compares
   * until the layer planner's estimate is plugged in.
   */
  public static Policy.CycleEstimate idealCycles(HardwareDescription hw) {
    return (layer, unit) -> hw.accelerator(unit).map(a -> OptionalLong.of(
        (macs(layer) + a.peakMacsPerCycle() - 1) / a.peakMacsPerCycle()
            + a.perCallOverheadCycles())).orElse(OptionalLong.empty());
  }

  /** Multiply-accumulates of a weighted layer (output elements for the others). */
  public static long macs(Layer l) {
    long outputs = l.output().type().elements();
    int window = l.window().map(w -> w.fy() * w.fx()).orElse(1);
    return l.weights().isPresent() ? outputs * l.inputChannels() * window : outputs * window;
  }

  private static String kinds(Accelerator a) {
    return String.join(", ", a.patterns().stream().map(p -> kindName(p.op())).distinct()
        .toList());
  }

  private static String kindName(OpPattern.Op op) {
    return op.name().toLowerCase(Locale.ROOT);
  }
}
