package io.kiln.plan.dispatch;

import io.kiln.KilnException;
import io.kiln.plan.dispatch.DispatchResult.Acceptance;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * How dispatch chooses when several accelerators accept a layer: declared rules (prefer one unit;
 * DIANA's weight-format rule; the mixed digital/analog split) or the lowest estimated cycles.
 */
public enum Policy {
  /** The first accepting accelerator in the description's order. */
  FIRST("first"),
  /** Prefer a digital PE array (the first of its kind in the description). */
  DIGITAL("digital"),
  /** Prefer an analog in-memory-compute array. */
  ANALOG("analog"),
  /** Declared DIANA-style rule: 8-bit weights on the digital array, ternary ones on the analog. */
  WEIGHTS("weights"),
  /** First and last accelerable layers and all depthwise layers digital, the rest analog. */
  MIXED("mixed"),
  /** The accepting unit with the fewest estimated cycles. */
  LOWEST_CYCLES("lowest-cycles");

  private final String cliName;

  Policy(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static Policy named(String name) {
    for (Policy p : values()) {
      if (p.cliName.equals(name.strip().toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new KilnException("unknown policy '" + name + "' (policies: first, digital, analog,"
        + " weights, mixed, lowest-cycles)");
  }

  /**
   * The target's default: the declared weight rule when it has both a digital PE array and an
   * analog array (DIANA), else the first accepting unit.
   */
  public static Policy defaultFor(HardwareDescription hw) {
    return has(hw, Accelerator.Kind.DIGITAL_PE_ARRAY) && has(hw, Accelerator.Kind.ANALOG_IMC) ? WEIGHTS : FIRST;
  }

  private static boolean has(HardwareDescription hw, Accelerator.Kind kind) {
    return hw.accelerators().stream().anyMatch(a -> a.kind() == kind);
  }

  /** The kinds of accelerator the policy chooses between. */
  private List<Accelerator.Kind> kinds() {
    return switch (this) {
      case DIGITAL -> List.of(Accelerator.Kind.DIGITAL_PE_ARRAY);
      case ANALOG -> List.of(Accelerator.Kind.ANALOG_IMC);
      case WEIGHTS, MIXED -> List.of(Accelerator.Kind.DIGITAL_PE_ARRAY, Accelerator.Kind.ANALOG_IMC);
      case FIRST, LOWEST_CYCLES -> List.of();
    };
  }

  /** Refuses a policy that needs a kind of unit the target does not have. */
  void check(HardwareDescription hw) {
    for (Accelerator.Kind kind : kinds()) {
      if (!has(hw, kind)) {
        throw new KilnException("policy " + cliName + " needs an accelerator of kind "
            + kind.name().toLowerCase(Locale.ROOT) + " but target " + hw.name() + " has "
            + (hw.accelerators().isEmpty() ? "none" : String.join(", ", hw.accelerators().stream()
                .map(a -> a.name() + " (" + a.kind().name().toLowerCase(Locale.ROOT) + ")").toList()))
            + " (use --policy first or lowest-cycles)");
      }
    }
  }

  /** Estimated cycles of a layer on a unit, for {@link #LOWEST_CYCLES}. */
  @FunctionalInterface
  public interface CycleEstimate {
    OptionalLong cycles(Layer layer, String acceleratorName);
  }

  /**
   * The accelerator for one layer among those that accept it ({@code accepted} is non-empty, in
   * the description's order); {@code edge} says whether it is the first or last accelerable
   * layer.
   */
  String choose(Layer layer, List<Acceptance> accepted, boolean edge, CycleEstimate cycles,
      HardwareDescription hw) {
    Accelerator.Kind digital = Accelerator.Kind.DIGITAL_PE_ARRAY;
    Accelerator.Kind analog = Accelerator.Kind.ANALOG_IMC;
    return switch (this) {
      case FIRST -> accepted.get(0).unit();
      case DIGITAL -> prefer(accepted, digital, hw);
      case ANALOG -> prefer(accepted, analog, hw);
      case WEIGHTS -> prefer(accepted, layer.ternaryWeights() ? analog : digital, hw);
      case MIXED -> prefer(accepted, edge || layer.depthwise() ? digital : analog, hw);
      case LOWEST_CYCLES -> {
        String best = accepted.get(0).unit();
        long bestCycles = Long.MAX_VALUE;
        for (Acceptance a : accepted) {
          long c = cycles.cycles(layer, a.unit()).orElse(Long.MAX_VALUE);
          if (c < bestCycles) {
            best = a.unit();
            bestCycles = c;
          }
        }
        yield best;
      }
    };
  }

  /** The first accepting unit of {@code kind}, else the first accepting unit. */
  private static String prefer(List<Acceptance> accepted, Accelerator.Kind kind, HardwareDescription hw) {
    return accepted.stream().map(Acceptance::unit)
        .filter(u -> hw.accelerator(u).map(a -> a.kind() == kind).orElse(false)).findFirst()
        .orElse(accepted.get(0).unit());
  }
}
