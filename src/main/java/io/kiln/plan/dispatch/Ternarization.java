package io.kiln.plan.dispatch;

import io.kiln.ir.Encoding;
import io.kiln.plan.dispatch.DispatchRule.Site;
import io.kiln.target.OpPattern.WeightFormat;

/**
 * When a layer's int8 weights will be converted to ternary at lowering: the user asked for
 * {@code --ternarize}, the unit's pattern holds only ternary cells, and the weights are not
 * ternary already. Dispatch rules then judge the layer as lowering will leave it (its weight
 * scales chosen so every rescaling is a power of two).
 */
final class Ternarization {
  private Ternarization() {}

  static boolean applies(Layer l, Site s) {
    return s.narrowInputs() && l.weights().isPresent() && !l.depthwise()
        && !(l.weights().get().type().encoding() instanceof Encoding.Ternary)
        && s.pattern().weights().contains(WeightFormat.TERNARY)
        && !s.pattern().weights().contains(WeightFormat.INT8);
  }
}
