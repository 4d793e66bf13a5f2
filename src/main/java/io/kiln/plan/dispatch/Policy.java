package io.kiln.plan.dispatch;

import io.kiln.KilnException;
import io.kiln.plan.dispatch.DispatchResult.Acceptance;
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
  /** Prefer the unit named {@code digital}. */
  DIGITAL("digital"),
  /** Prefer the unit named {@code analog}. */
  ANALOG("analog"),
  /** Declared DIANA rule: 8-bit weights on digital, ternary weights on analog. */
  WEIGHTS("weights"),
  /** First and last accelerable layers and all depthwise layers on digital, the rest analog. */
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

  /** The target's default: DIANA's declared weight rule, else the first accepting unit. */
  public static Policy defaultFor(HardwareDescription hw) {
    boolean diana = hw.accelerator("digital").isPresent() && hw.accelerator("analog").isPresent();
    return diana ? WEIGHTS : FIRST;
  }

  /** Refuses a policy that names units the target does not have. */
  void check(HardwareDescription hw) {
    List<String> needed = switch (this) {
      case DIGITAL -> List.of("digital");
      case ANALOG -> List.of("analog");
      case WEIGHTS, MIXED -> List.of("digital", "analog");
      case FIRST, LOWEST_CYCLES -> List.of();
    };
    for (String unit : needed) {
      if (hw.accelerator(unit).isEmpty()) {
        throw new KilnException("policy " + cliName + " needs an accelerator named '" + unit
            + "' but target " + hw.name() + " has " + (hw.accelerators().isEmpty() ? "none"
            : String.join(", ", hw.unitNames().subList(1, hw.unitNames().size())))
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
  String choose(Layer layer, List<Acceptance> accepted, boolean edge, CycleEstimate cycles) {
    return switch (this) {
      case FIRST -> accepted.get(0).unit();
      case DIGITAL -> prefer(accepted, "digital");
      case ANALOG -> prefer(accepted, "analog");
      case WEIGHTS -> prefer(accepted, layer.ternaryWeights() ? "analog" : "digital");
      case MIXED -> prefer(accepted, edge || layer.depthwise() ? "digital" : "analog");
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

  private static String prefer(List<Acceptance> accepted, String unit) {
    return accepted.stream().map(Acceptance::unit).filter(unit::equals).findFirst()
        .orElse(accepted.get(0).unit());
  }
}
