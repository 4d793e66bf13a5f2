package io.kiln.passes;

import static io.kiln.passes.Pattern.any;
import static io.kiln.passes.Pattern.op;

import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Folds an explicit spatial Pad into the convolution that reads it. Exact because the Pad writes
 * its output zero point (0.0 for floats) and a convolution's implicit padding contributes the same
 * value: quantized kernels skip padded taps, which equals reading the input zero point, since they
 * accumulate {@code (x - inputZeroPoint) * w}.
 */
final class PadFolding {
  private PadFolding() {}

  static final Rule FOLD_PAD = new Rule("fold-pad-into-conv",
      op("conv", Op.Conv2D.class, Op.DepthwiseConv2D.class).in(Op.Conv2D.INPUT,
          op("pad", Op.Pad.class).oneUse().in(Op.Pad.INPUT, any("x"))),
      PadFolding::fold);

  private static Rule.Outcome fold(Match m, GraphEdit e) {
    Op.Pad pad = m.op("pad", Op.Pad.class);
    Value x = m.value("x");
    Value padded = m.value("pad");
    if (pad.before().size() != 4) {
      return Rule.reject("pad of rank " + pad.before().size() + " input");
    }
    for (int axis : new int[] {0, 3}) {
      if (pad.before().get(axis) != 0 || pad.after().get(axis) != 0) {
        return Rule.reject("pads the " + (axis == 0 ? "batch" : "channel")
            + " dimension, which a convolution cannot");
      }
    }
    if (!x.type().quant().equals(padded.type().quant())) {
      // The pad value is the zero point of the Pad's output; the convolution would pad with
      // that of the Pad's input.
      return Rule.reject("the Pad changes quantization, so its pad value is not the input's zero"
          + " point");
    }
    Node conv = m.node("conv");
    Op folded = switch (conv.op()) {
      case Op.Conv2D c -> new Op.Conv2D(c.strideH(), c.strideW(), c.dilationH(), c.dilationW(),
          add(c.pads(), pad), c.act());
      case Op.DepthwiseConv2D d -> new Op.DepthwiseConv2D(d.strideH(), d.strideW(),
          d.dilationH(), d.dilationW(), add(d.pads(), pad), d.depthMultiplier(), d.act());
      default -> throw new IllegalStateException("pattern admits only convolutions");
    };
    List<Integer> ins = new ArrayList<>(conv.inputs());
    ins.set(Op.Conv2D.INPUT, x.id());
    Value out = m.value("conv");
    e.replace(out.id(), e.node(folded, ins, out.name(), out.type()));
    return Rule.rewritten();
  }

  private static Pads add(Pads p, Op.Pad pad) {
    return new Pads(p.top() + pad.before().get(1), p.left() + pad.before().get(2),
        p.bottom() + pad.after().get(1), p.right() + pad.after().get(2));
  }
}
