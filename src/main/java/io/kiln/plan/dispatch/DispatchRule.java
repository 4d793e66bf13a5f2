package io.kiln.plan.dispatch;

import io.kiln.target.Accelerator;
import io.kiln.target.OpPattern;

/**
 * One named dispatch check: a small function of a layer and one of an accelerator's operator
 * patterns that passes or says, naming the unit and the parameter, why the layer cannot run there.
 */
public record DispatchRule(String name, Check check) {

  /** The check itself. */
  @FunctionalInterface
  public interface Check {
    Verdict apply(Layer layer, Site site);
  }

  /**
   * Where a layer is being placed: the accelerator, the operator pattern tried, and the label
   * reasons use ({@code diana.digital}), and whether the user allowed narrowing activations to
   * the array's input bits ({@code --ternarize}).
   */
  public record Site(String target, Accelerator accelerator, OpPattern pattern,
      boolean narrowInputs) {
    public String unit() {
      return target + "." + accelerator.name();
    }
  }

  public Verdict apply(Layer layer, Site site) {
    return check.apply(layer, site);
  }
}
