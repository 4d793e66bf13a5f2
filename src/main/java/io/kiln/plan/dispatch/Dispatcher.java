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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Decides where every node of an integer graph runs: matches it against the named layer
 * patterns, tries each accelerator's operator patterns of that kind under {@link DispatchRules},
 * lets the policy choose among the accelerators that accept, and leaves the rest on the CPU with
 * every accelerator's reason.
 *
 * <p>Then it fuses: a convolution placed on an accelerator takes the longest of its
 * {@link LayerPatterns#FUSED fused patterns} (a residual Add, a pooling after it) that the same
 * accelerator accepts under the same rules, and those nodes run in its calls. The policy chooses
 * the unit for the convolution alone, so fusing never moves a layer; a fusion the unit does not
 * accept is reported on the node that stays apart, with the reason.
 */
public final class Dispatcher {
  private Dispatcher() {}

  /**
   * @param narrowInputs whether activations may be narrowed to an array's input bits (the user
   *     asked for {@code --ternarize})
   * @param cycles the estimate {@link Policy#LOWEST_CYCLES} compares
   */
  public record Options(Policy policy, boolean narrowInputs, Policy.CycleEstimate cycles,
      Map<Refusal, String> refusedFusions, Map<UnitRefusal, String> refusedUnits) {
    public Options {
      refusedFusions = Map.copyOf(refusedFusions);
      refusedUnits = Map.copyOf(refusedUnits);
    }

    public Options(Policy policy, boolean narrowInputs, Policy.CycleEstimate cycles) {
      this(policy, narrowInputs, cycles, Map.of(), Map.of());
    }

    public static Options of(Policy policy) {
      return new Options(policy, false, null);
    }

    /**
     * The same options with one fusion refused for {@code reason} (what planning found, for
     * example that no tiling of the fused layer fits); dispatch reports it on the fused nodes.
     */
    public Options refusing(Refusal r, String reason) {
      Map<Refusal, String> m = new HashMap<>(refusedFusions);
      m.put(r, reason);
      return new Options(policy, narrowInputs, cycles, m, refusedUnits);
    }

    /**
     * The same options with one unit refused for one layer for {@code reason} (what planning
     * found, for example that no tiling fits the unit's memories): the policy then chooses among
     * the other units that accept the layer, and the CPU runs it when none is left.
     */
    public Options refusingUnit(UnitRefusal r, String reason) {
      Map<UnitRefusal, String> m = new HashMap<>(refusedUnits);
      m.put(r, reason);
      return new Options(policy, narrowInputs, cycles, refusedFusions, m);
    }
  }

  /** One fused pattern at one convolution (by node index) that must not be used. */
  public record Refusal(int anchor, String pattern) {}

  /** One accelerator that must not run one layer (by node index). */
  public record UnitRefusal(int node, String unit) {}

  public static DispatchResult dispatch(Graph g, HardwareDescription hw, Options o) {
    o.policy().check(hw);
    Policy.CycleEstimate cycles = o.cycles() != null ? o.cycles() : idealCycles(hw);
    GraphIndex idx = new GraphIndex(g);
    List<Optional<Layer>> layers = new ArrayList<>();
    List<List<Acceptance>> accepted = new ArrayList<>();
    List<List<Rejection>> rejected = new ArrayList<>();
    for (int at = 0; at < g.nodes().size(); at++) {
      Node n = g.nodes().get(at);
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
          String refused = o.refusedUnits().get(new UnitRefusal(at, a.name()));
          if (reasons.isEmpty() && refused != null) {
            reasons = List.of(unit + ": " + refused);
          }
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
    String[] units = new String[g.nodes().size()];
    for (int i = 0; i < units.length; i++) {
      units[i] = accepted.get(i).isEmpty() ? hw.cpu().name()
          : o.policy().choose(layers.get(i).get(), accepted.get(i), i == first || i == last,
              cycles, hw);
    }
    int[] fusedInto = fuse(idx, hw, o, units, layers, accepted, rejected);
    List<LayerDispatch> out = new ArrayList<>();
    for (int i = 0; i < g.nodes().size(); i++) {
      boolean fused = fusedInto[i] >= 0;
      out.add(new LayerDispatch(i, g.nodes().get(i), layers.get(i),
          fused ? units[fusedInto[i]] : units[i], accepted.get(i), rejected.get(i),
          fused ? OptionalInt.of(fusedInto[i]) : OptionalInt.empty()));
    }
    return new DispatchResult(hw.name(), o.policy().cliName(), g, out);
  }

  /**
   * Replaces each accelerator convolution's layer by the longest fused layer its unit accepts
   * (unless refused), and returns, per node, the index of the layer it was fused into (or -1).
   * Fusions a unit does not take are added to the reasons of the nodes that stay apart and that
   * unit does not run on their own.
   */
  private static int[] fuse(GraphIndex idx, HardwareDescription hw, Options o, String[] units,
      List<Optional<Layer>> layers, List<List<Acceptance>> accepted,
      List<List<Rejection>> rejected) {
    int[] fusedInto = new int[units.length];
    java.util.Arrays.fill(fusedInto, -1);
    String target = targetLabel(hw);
    for (Map.Entry<Integer, List<Layer>> e : LayerPatterns.fusions(idx).entrySet()) {
      int at = e.getKey();
      Optional<Accelerator> acc = hw.accelerator(units[at]);
      if (acc.isEmpty() || fusedInto[at] >= 0) {
        continue;
      }
      for (Layer candidate : e.getValue()) {
        List<Integer> nodes = candidate.fusedNodes().stream()
            .map(n -> idx.graph().nodes().indexOf(n)).toList();
        if (nodes.stream().anyMatch(n -> fusedInto[n] >= 0)) {
          continue;
        }
        String unit = target + "." + acc.get().name();
        String why = o.refusedFusions().get(new Refusal(at, candidate.pattern()));
        boolean accepts = false;
        for (OpPattern p : why != null ? List.<OpPattern>of() : acc.get().patterns(candidate.kind())) {
          List<String> reasons = check(candidate, new Site(target, acc.get(), p, o.narrowInputs()));
          if (reasons.isEmpty()) {
            accepts = true;
            break;
          }
          why = why == null ? String.join("; ", reasons) : why;
        }
        if (accepts) {
          layers.set(at, Optional.of(candidate));
          nodes.forEach(n -> fusedInto[n] = at);
          break;
        }
        String reason = "not fused into %" + idx.graph().nodes().get(at).output() + " ("
            + candidate.pattern() + ") on " + unit + ": " + why;
        for (int n : nodes) {
          if (accepted.get(n).stream().noneMatch(a -> a.unit().equals(acc.get().name()))) {
            note(rejected.get(n), acc.get().name(), reason);
          }
        }
      }
    }
    return fusedInto;
  }

  /** Adds {@code reason} to the node's rejection by {@code unit}, once. */
  private static void note(List<Rejection> rejections, String unit, String reason) {
    for (int i = 0; i < rejections.size(); i++) {
      Rejection r = rejections.get(i);
      if (r.unit().equals(unit)) {
        if (!r.reason().contains(reason)) {
          rejections.set(i, new Rejection(unit, r.reason() + "; " + reason));
        }
        return;
      }
    }
    rejections.add(new Rejection(unit, reason));
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
    boolean reduces = l.weights().isPresent() || l.kind() == OpPattern.Op.MATMUL;
    return reduces ? outputs * l.inputChannels() * window : outputs * window;
  }

  private static String kinds(Accelerator a) {
    return String.join(", ", a.patterns().stream().map(p -> kindName(p.op())).distinct()
        .toList());
  }

  private static String kindName(OpPattern.Op op) {
    return op.name().toLowerCase(Locale.ROOT);
  }
}
