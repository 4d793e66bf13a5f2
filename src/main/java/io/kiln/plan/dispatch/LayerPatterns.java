package io.kiln.plan.dispatch;

import static io.kiln.passes.Pattern.any;
import static io.kiln.passes.Pattern.constant;
import static io.kiln.passes.Pattern.op;

import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.passes.GraphIndex;
import io.kiln.passes.Match;
import io.kiln.passes.Pattern;
import io.kiln.target.OpPattern;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The named patterns dispatch recognizes, each with named captures, and the {@link Layer} view
 * it builds from a match. The IR fuses bias, requantization (the output's quantization) and the
 * activation into the operator, so one node is one accelerator call.
 */
public final class LayerPatterns {
  private LayerPatterns() {}

  /** A named pattern, the operator family it is, and how a match becomes a {@link Layer}. */
  public record Named(String name, OpPattern.Op kind, Pattern.OpPattern pattern,
      Function<Match, Layer> capture) {}

  public static final Named CONV2D_BIAS_REQUANT_ACT = new Named("conv2d_bias_requant_act",
      OpPattern.Op.CONV2D,
      op("conv", Op.Conv2D.class).in(Op.Conv2D.INPUT, any("input"))
          .in(Op.Conv2D.FILTER, constant("weights")),
      m -> {
        Op.Conv2D c = m.op("conv", Op.Conv2D.class);
        int[] f = m.value("weights").shape().dims();
        return weighted(m, "conv", "conv2d_bias_requant_act", OpPattern.Op.CONV2D, Op.Conv2D.BIAS,
            new Layer.Window(f[1], f[2], c.strideH(), c.strideW(), c.dilationH(),
                c.dilationW(), c.pads()), c.act(), 1);
      });

  public static final Named DEPTHWISE_BIAS_REQUANT_ACT = new Named(
      "depthwise_conv2d_bias_requant_act", OpPattern.Op.DEPTHWISE_CONV2D,
      op("dw", Op.DepthwiseConv2D.class).in(Op.DepthwiseConv2D.INPUT, any("input"))
          .in(Op.DepthwiseConv2D.FILTER, constant("weights")),
      m -> {
        Op.DepthwiseConv2D d = m.op("dw", Op.DepthwiseConv2D.class);
        int[] f = m.value("weights").shape().dims();
        return weighted(m, "dw", "depthwise_conv2d_bias_requant_act",
            OpPattern.Op.DEPTHWISE_CONV2D, Op.DepthwiseConv2D.BIAS,
            new Layer.Window(f[1], f[2], d.strideH(), d.strideW(), d.dilationH(),
                d.dilationW(), d.pads()), d.act(), d.depthMultiplier());
      });

  public static final Named FULLY_CONNECTED_BIAS_REQUANT_ACT = new Named(
      "fully_connected_bias_requant_act", OpPattern.Op.FULLY_CONNECTED,
      op("fc", Op.FullyConnected.class).in(Op.FullyConnected.INPUT, any("input"))
          .in(Op.FullyConnected.WEIGHTS, constant("weights")),
      m -> weighted(m, "fc", "fully_connected_bias_requant_act", OpPattern.Op.FULLY_CONNECTED,
          Op.FullyConnected.BIAS, null, m.op("fc", Op.FullyConnected.class).act(), 1));

  public static final Named MAX_POOL = new Named("max_pool", OpPattern.Op.MAX_POOL,
      op("pool", Op.MaxPool2D.class).in(Op.MaxPool2D.INPUT, any("input")),
      m -> {
        Op.MaxPool2D p = m.op("pool", Op.MaxPool2D.class);
        return plain(m, "pool", "max_pool", OpPattern.Op.MAX_POOL, new Layer.Window(p.filterH(),
            p.filterW(), p.strideH(), p.strideW(), 1, 1, p.pads()), p.act());
      });

  public static final Named AVG_POOL_REQUANT = new Named("avg_pool_requant",
      OpPattern.Op.AVG_POOL,
      op("pool", Op.AveragePool2D.class).in(Op.AveragePool2D.INPUT, any("input")),
      m -> {
        Op.AveragePool2D p = m.op("pool", Op.AveragePool2D.class);
        return plain(m, "pool", "avg_pool_requant", OpPattern.Op.AVG_POOL,
            new Layer.Window(p.filterH(), p.filterW(), p.strideH(), p.strideW(), 1, 1,
                p.pads()), p.act());
      });

  public static final Named ADD_REQUANT_ACT = new Named("add_requant_act", OpPattern.Op.ADD,
      op("add", Op.Add.class).in(Op.Add.LHS, any("input")).in(Op.Add.RHS, any("rhs")),
      m -> binary(m, "add", "add_requant_act", OpPattern.Op.ADD,
          m.op("add", Op.Add.class).act()));

  public static final Named MUL_REQUANT_ACT = new Named("mul_requant_act", OpPattern.Op.MUL,
      op("mul", Op.Mul.class).in(Op.Mul.LHS, any("input")).in(Op.Mul.RHS, any("rhs")),
      m -> binary(m, "mul", "mul_requant_act", OpPattern.Op.MUL,
          m.op("mul", Op.Mul.class).act()));

  /** Every pattern, tried in this order. */
  public static final List<Named> ALL = List.of(CONV2D_BIAS_REQUANT_ACT,
      DEPTHWISE_BIAS_REQUANT_ACT, FULLY_CONNECTED_BIAS_REQUANT_ACT, MAX_POOL, AVG_POOL_REQUANT,
      ADD_REQUANT_ACT, MUL_REQUANT_ACT);

  /**
   * The layer {@code n} is, by the first pattern that matches; empty for operators no pattern
   * describes (they run on the CPU). A pattern that fits the operator but not its operands (a
   * filter computed at run time) gives its mismatch reason.
   */
  public static Result match(GraphIndex idx, Node n) {
    for (Named p : ALL) {
      switch (Pattern.matchNode(p.pattern(), idx, n)) {
        case Pattern.Result.NotApplicable na -> { }
        case Pattern.Result.Mismatch mm -> {
          return new Result(Optional.empty(), Optional.of(p.name() + ": " + mm.reason()));
        }
        case Pattern.Result.Matched mt -> {
          return new Result(Optional.of(p.capture().apply(mt.match())), Optional.empty());
        }
      }
    }
    return new Result(Optional.empty(), Optional.empty());
  }

  /** A matched layer, or the reason a pattern for its operator did not match. */
  public record Result(Optional<Layer> layer, Optional<String> mismatch) {}

  private static Layer weighted(Match m, String root, String name, OpPattern.Op kind,
      int biasSlot, Layer.Window w, Op.Activation act, int depthMultiplier) {
    Node n = m.node(root);
    var bias = n.hasInput(biasSlot)
        ? Optional.of(m.graph().value(n.input(biasSlot))) : Optional.<io.kiln.ir.Value>empty();
    return new Layer(m.graph(), n, name, kind, m.value("input"), Optional.of(m.value("weights")),
        bias, Optional.empty(), m.value(root), Optional.ofNullable(w), act, depthMultiplier);
  }

  private static Layer plain(Match m, String root, String name, OpPattern.Op kind,
      Layer.Window w, Op.Activation act) {
    return new Layer(m.graph(), m.node(root), name, kind, m.value("input"), Optional.empty(),
        Optional.empty(), Optional.empty(), m.value(root), Optional.of(w), act, 1);
  }

  private static Layer binary(Match m, String root, String name, OpPattern.Op kind,
      Op.Activation act) {
    return new Layer(m.graph(), m.node(root), name, kind, m.value("input"), Optional.empty(),
        Optional.empty(), Optional.of(m.value("rhs")), m.value(root), Optional.empty(), act, 1);
  }
}
