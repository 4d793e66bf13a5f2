package io.kiln.plan.dispatch;

import io.kiln.ir.Op;
import io.kiln.ir.RequantScheme;
import io.kiln.target.OpPattern;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The dispatch rules of the stages fused into a call's output stage (residual Add, pooling,
 * activation): whether the pattern fuses them, their geometry and their rescaling. They are part
 * of {@link DispatchRules#ALL}.
 */
public final class FusedRules {
  private FusedRules() {}

  /** A stage runs in the call's output stage only if the pattern lists it among what it fuses. */
  public static final DispatchRule FUSED_STAGES = new DispatchRule("fused-stages", (l, s) -> {
    for (Layer.Fused f : l.fused()) {
      if (!s.pattern().fuses().contains(f.stage())) {
        return Verdict.reject(f.stageName() + " (" + f.node().op().opName() + " %"
            + f.node().output() + ") not fused by " + s.unit() + ": its " + s.pattern().name()
            + " pattern fuses " + (s.pattern().fuses().isEmpty() ? "nothing"
                : s.pattern().fuses().stream().map(x -> x.name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining(", "))));
      }
    }
    return Verdict.PASS;
  });

  /**
   * The output stage adds the skip tensor element for element, so it must have the conv output's
   * shape; it pools whole windows of the output tile it holds, so windows must not overlap (no
   * output belongs to two windows, of two tiles) nor be padded.
   */
  public static final DispatchRule FUSED_GEOMETRY = new DispatchRule("fused-geometry", (l, s) -> {
    for (Layer.Fused f : l.fused()) {
      String what = f.stageName() + " %" + f.node().output();
      if (f.skip().isPresent() && !f.skip().get().shape().equals(f.input().shape())) {
        return Verdict.reject("broadcast " + f.input().shape() + " with " + f.skip().get().shape()
            + " in the fused " + what + " not supported by " + s.unit() + ": the skip tensor"
            + " must have the conv output's shape");
      }
      if (f.window().isPresent()) {
        Layer.Window w = f.window().get();
        int[] in = f.input().shape().dims();
        if (w.fy() != w.strideH() || w.fx() != w.strideW() || !w.pads().equals(Op.Pads.NONE)
            || in.length != 4 || w.fy() > in[1] || w.fx() > in[2]) {
          return Verdict.reject("pooling window " + w.fy() + "x" + w.fx() + " stride " + w.strideH()
              + "x" + w.strideW() + (w.pads().equals(Op.Pads.NONE) ? "" : " with padding")
              + " of the fused " + what + " not supported by " + s.unit() + ": a fused pooling"
              + " needs non-overlapping windows (stride = window) without padding");
        }
      }
    }
    return Verdict.PASS;
  });

  /**
   * Every fused stage's rescaling under the pattern's schemes (see {@link DispatchRules#REQUANT_SCHEME}). With
   * {@code --ternarize} the user accepted plan-time approximations for in-memory compute, and a
   * residual Add's rescalings are rounded to shifts like the ternarized weights' (the reason
   * without it says so); an average's divisor is never rounded.
   */
  public static final DispatchRule FUSED_REQUANT = new DispatchRule("fused-requant", (l, s) -> {
    List<RequantScheme> schemes = s.pattern().requant();
    for (Layer.Fused f : l.fused()) {
      List<Requant.Ratio> needs = Requant.of(f);
      if (needs.isEmpty() || schemes.contains(RequantScheme.FIXED_POINT)) {
        continue;
      }
      if (schemes.isEmpty()) {
        return Verdict.reject("requantization of the fused " + f.stageName() + " %"
            + f.node().output() + " not supported by " + s.unit()
            + ": it writes raw accumulators only");
      }
      boolean rounded = f.stage() == OpPattern.FusedStage.RESIDUAL_ADD && s.narrowInputs();
      Optional<Requant.Ratio> bad = Requant.firstNonPowerOfTwo(needs);
      if (bad.isPresent() && !rounded) {
        return Verdict.reject("requant scale " + bad.get() + " is not a power of two, but "
            + s.unit() + " requantizes by shift only; " + bad.get().remedy()
            + (f.stage() == OpPattern.FusedStage.RESIDUAL_ADD ? ", or plan with --ternarize"
                + " (rounds it to a shift, changing accuracy)" : ""));
      }
    }
    return Verdict.PASS;
  });
}
