package io.kiln.passes;

import static io.kiln.passes.Pattern.op;

import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Value;

/**
 * Fuses a Relu, Relu6 or float Clip to one of their ranges into the fused activation of the convolution, fully connected layer or
 * element-wise Add/Sub/Mul that produces its input.
 *
 * <p>Float graphs: the fused clamp is the same comparison. Quantized graphs: exact when the
 * activation's output is quantized like its input, because then a standalone Relu rescales by
 * exactly 1.0 and clamps at the zero point, which is the fused clamp. When the quantizations
 * differ, the standalone form rounds twice (producer's output stage, then the Relu's rescale)
 * and the fused form once, so outputs can move by one step; {@link #FUSE_REQUANTIZING} does that
 * on request, the default rule refuses.
 */
final class ActivationFusion {
  private ActivationFusion() {}

  static final Rule FUSE = rule("fuse-activation", false);
  static final Rule FUSE_REQUANTIZING = rule("fuse-activation-requantizing", true);

  private static Rule rule(String name, boolean requantize) {
    return new Rule(name,
        op("act", Op.Relu.class, Op.Relu6.class, Op.Clip.class).in(0,
            op("producer", Op.Conv2D.class, Op.DepthwiseConv2D.class, Op.FullyConnected.class,
                Op.Add.class, Op.Sub.class, Op.Mul.class).oneUse()),
        (m, e) -> fuse(m, e, requantize));
  }

  private static Rule.Outcome fuse(Match m, GraphEdit e, boolean requantize) {
    Node producer = m.node("producer");
    Value mid = m.value("producer");
    Value out = m.value("act");
    Activation wanted = switch (m.node("act").op()) {
      case Op.Relu r -> Activation.RELU;
      case Op.Relu6 r -> Activation.RELU6;
      case Op.Clip c -> clipActivation(c);
      default -> throw new IllegalStateException("pattern admits only activations");
    };
    if (wanted == null) {
      return Rule.reject(m.node("act").op() + " is not a fused activation's range");
    }
    if (m.node("act").op() instanceof Op.Clip && mid.dtype().isInteger()) {
      return Rule.reject("an integer Clip clamps raw values, not real ones");
    }
    if (current(producer.op()) != Activation.NONE) {
      return Rule.reject(producer.op().opName() + " already has fused " + current(producer.op()));
    }
    if (mid.dtype() != out.dtype()) {
      return Rule.reject("the activation changes dtype");
    }
    if (mid.dtype().isInteger() && !mid.quant().equals(out.quant()) && !requantize) {
      return Rule.reject("the activation requantizes " + GraphPrinter.type(mid.type()) + " to "
          + GraphPrinter.type(out.type()) + "; fusing would round once instead of twice");
    }
    if (mid.dtype().isInteger() && !mid.quant().equals(out.quant())) {
      String why = saturationDiffers(mid, out, wanted);
      if (why != null) {
        return Rule.reject(why);
      }
    }
    Op fused = withActivation(producer.op(), wanted);
    e.replace(out.id(), e.node(fused, producer.inputs(), out.name(), out.type()));
    return Rule.rewritten();
  }

  /**
   * Fusing drops the producer's own clamp to its output type, which is harmless only if that range
   * covers everything the activation can output.
   */
  private static String saturationDiffers(Value mid, Value out, Activation act) {
    double sm = mid.quant().scale();
    double so = out.quant().scale();
    double midLo = sm * (mid.dtype().min() - mid.quant().zeroPoint());
    double midHi = sm * (mid.dtype().max() - mid.quant().zeroPoint());
    double outHi = so * (out.dtype().max() - out.quant().zeroPoint());
    if (act == Activation.RELU6) {
      outHi = Math.min(outHi, 6.0);
    }
    if (midLo > 0 || midHi < outHi) {
      return "the producer saturates at [" + (float) midLo + ", " + (float) midHi
          + "] but the activation's output reaches " + (float) outHi;
    }
    return null;
  }

  /** The fused activation clamping to the Clip's range, or null if there is none. */
  private static Activation clipActivation(Op.Clip c) {
    if (c.min() == 0f && c.max() == Float.POSITIVE_INFINITY) {
      return Activation.RELU;
    }
    if (c.min() == 0f && c.max() == 6f) {
      return Activation.RELU6;
    }
    if (c.min() == -1f && c.max() == 1f) {
      return Activation.RELU_N1_TO_1;
    }
    return null;
  }

  static Activation current(Op op) {
    return switch (op) {
      case Op.Conv2D c -> c.act();
      case Op.DepthwiseConv2D d -> d.act();
      case Op.FullyConnected f -> f.act();
      case Op.Add a -> a.act();
      case Op.Sub s -> s.act();
      case Op.Mul mu -> mu.act();
      default -> throw new IllegalArgumentException(op.opName() + " has no fused activation");
    };
  }

  static Op withActivation(Op op, Activation act) {
    return switch (op) {
      case Op.Conv2D c -> new Op.Conv2D(c.strideH(), c.strideW(), c.dilationH(), c.dilationW(),
          c.pads(), act);
      case Op.DepthwiseConv2D d -> new Op.DepthwiseConv2D(d.strideH(), d.strideW(),
          d.dilationH(), d.dilationW(), d.pads(), d.depthMultiplier(), act);
      case Op.FullyConnected f -> new Op.FullyConnected(act, f.keepNumDims());
      case Op.Add a -> new Op.Add(act);
      case Op.Sub s -> new Op.Sub(act);
      case Op.Mul mu -> new Op.Mul(act);
      default -> throw new IllegalArgumentException(op.opName() + " has no fused activation");
    };
  }
}
