package io.kiln.plan.schedule;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.target.OpPattern;
import java.util.Optional;

/**
 * The loop nest of a tileable IR node as the tiler sees it, with what the planner needs besides:
 * which accelerator operator it is, its dtypes, and whether its weights are ternary-valued. A
 * fully-connected layer is the 1×1 case over a 1×batch image; pooling is a depthwise window
 * without weights.
 *
 * @param ternaryWeights every weight value is in {-1, 0, +1}, so a ternary array can hold it in
 *     2 bits
 */
record LayerGeometry(LayerShape shape, OpPattern.Op op, boolean hasWeights, boolean hasBias, DType inputType,
    DType outputType, boolean ternaryWeights) {

  /** The geometry of {@code n}, or empty (with no reason needed) when it is not a tileable layer. */
  static Optional<LayerGeometry> of(Graph g, Node n) {
    return switch (n.op()) {
      case Op.Conv2D c -> {
        int[] in = g.input(n, Op.Conv2D.INPUT).shape().dims();
        int[] f = g.input(n, Op.Conv2D.FILTER).shape().dims();
        int[] out = g.output(n).shape().dims();
        if (in.length != 4 || f.length != 4 || out.length != 4 || in[0] != 1) {
          yield Optional.empty();
        }
        LayerShape s = new LayerShape(f[0], in[3], in[1], in[2], out[1], out[2], f[1], f[2], c.strideH(),
            c.strideW(), c.dilationH(), c.dilationW(), c.pads().top(), c.pads().left(), false);
        yield Optional.of(new LayerGeometry(s, OpPattern.Op.CONV2D, true, n.hasInput(Op.Conv2D.BIAS),
            g.input(n, Op.Conv2D.INPUT).dtype(), g.output(n).dtype(),
            ternary(g.input(n, Op.Conv2D.FILTER))));
      }
      case Op.DepthwiseConv2D d -> {
        int[] in = g.input(n, Op.DepthwiseConv2D.INPUT).shape().dims();
        int[] f = g.input(n, Op.DepthwiseConv2D.FILTER).shape().dims();
        int[] out = g.output(n).shape().dims();
        // A depth multiplier other than 1 reads one input channel into several outputs: not the
        // one-channel-per-channel loop nest the depthwise tiler handles.
        if (in.length != 4 || out.length != 4 || in[0] != 1 || f[3] != in[3]) {
          yield Optional.empty();
        }
        LayerShape s = new LayerShape(in[3], in[3], in[1], in[2], out[1], out[2], f[1], f[2], d.strideH(),
            d.strideW(), d.dilationH(), d.dilationW(), d.pads().top(), d.pads().left(), true);
        yield Optional.of(new LayerGeometry(s, OpPattern.Op.DEPTHWISE_CONV2D, true,
            n.hasInput(Op.DepthwiseConv2D.BIAS), g.input(n, Op.DepthwiseConv2D.INPUT).dtype(),
            g.output(n).dtype(), ternary(g.input(n, Op.DepthwiseConv2D.FILTER))));
      }
      case Op.FullyConnected fc -> {
        int[] w = g.input(n, Op.FullyConnected.WEIGHTS).shape().dims();
        int inElems = g.input(n, Op.FullyConnected.INPUT).shape().elements();
        if (w.length != 2 || inElems % w[1] != 0) {
          yield Optional.empty();
        }
        int batch = inElems / w[1];
        LayerShape s = new LayerShape(w[0], w[1], 1, batch, 1, batch, 1, 1, 1, 1, 1, 1, 0, 0, false);
        yield Optional.of(new LayerGeometry(s, OpPattern.Op.FULLY_CONNECTED, true,
            n.hasInput(Op.FullyConnected.BIAS), g.input(n, Op.FullyConnected.INPUT).dtype(), g.output(n).dtype(),
            ternary(g.input(n, Op.FullyConnected.WEIGHTS))));
      }
      case Op.MaxPool2D p -> pool(g, n, OpPattern.Op.MAX_POOL, p.filterH(), p.filterW(), p.strideH(), p.strideW(),
          p.pads());
      case Op.AveragePool2D p -> pool(g, n, OpPattern.Op.AVG_POOL, p.filterH(), p.filterW(), p.strideH(),
          p.strideW(), p.pads());
      default -> Optional.empty();
    };
  }

  private static Optional<LayerGeometry> pool(Graph g, Node n, OpPattern.Op op, int fh, int fw, int sh, int sw,
      Op.Pads pads) {
    int[] in = g.input(n, 0).shape().dims();
    int[] out = g.output(n).shape().dims();
    if (in.length != 4 || out.length != 4 || in[0] != 1) {
      return Optional.empty();
    }
    LayerShape s = new LayerShape(in[3], in[3], in[1], in[2], out[1], out[2], fh, fw, sh, sw, 1, 1, pads.top(),
        pads.left(), true);
    return Optional.of(new LayerGeometry(s, op, false, false, g.input(n, 0).dtype(), g.output(n).dtype(), false));
  }

  /** Whether a constant integer weight tensor holds only -1, 0 and +1. */
  static boolean ternary(Value w) {
    Optional<ConstData> data = w.constant();
    if (data.isEmpty() || !w.dtype().isInteger()) {
      return false;
    }
    for (int v : data.get().asInts(w.dtype())) {
      if (v < -1 || v > 1) {
        return false;
      }
    }
    return true;
  }

  /** Useful multiply-accumulates (0 for pooling, which has none). */
  long macs() {
    return hasWeights ? shape.macs() : 0;
  }
}
