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
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The named patterns dispatch recognizes, each with named captures, and the {@link Layer} view
 * it builds from a match. The IR fuses bias, requantization (the output's quantization) and the
 * activation into the operator, so one node is one accelerator call; the {@link #FUSED} patterns
 * describe a convolution followed by stages an accelerator may run in the same call's output
 * stage (a residual Add, a pooling), rooted at the last stage and anchored at the convolution.
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

  /**
   * A standalone activation function (one the IR could not fold into its producer, for example
   * because the producer has other readers); which function it is comes from the operator.
   */
  public static final Named ACTIVATION_REQUANT = new Named("activation_requant",
      OpPattern.Op.ACTIVATION,
      op("act", Op.Relu.class, Op.Relu6.class, Op.Logistic.class, Op.Tanh.class)
          .in(0, any("input")),
      m -> new Layer(m.graph(), m.node("act"), "activation_requant", OpPattern.Op.ACTIVATION,
          m.value("input"), Optional.empty(), Optional.empty(), Optional.empty(), m.value("act"),
          Optional.empty(), Op.Activation.NONE, 1, List.of()));

  /**
   * A matrix product of two activations (TFLite BATCH_MATMUL, requantized to int8 by its output's
   * quantization; or the IR's MatMul, ONNX's int32 accumulators): the left operand is the input,
   * the right one ({@code rhs}) the matrix an array holds stationary, loaded from the activation
   * arena per batch. The rules check which of these a unit can take ({@link
   * DispatchRules#MATMUL_OPERANDS}).
   */
  public static final Named MATMUL_REQUANT = new Named("matmul_requant", OpPattern.Op.MATMUL,
      op("mm", Op.BatchMatMul.class, Op.MatMul.class).in(Op.BatchMatMul.LHS, any("input"))
          .in(Op.BatchMatMul.RHS, any("rhs")),
      m -> binary(m, "mm", "matmul_requant", OpPattern.Op.MATMUL, Op.Activation.NONE));

  /** Every single-node pattern, tried in this order. */
  public static final List<Named> ALL = List.of(CONV2D_BIAS_REQUANT_ACT,
      DEPTHWISE_BIAS_REQUANT_ACT, FULLY_CONNECTED_BIAS_REQUANT_ACT, MAX_POOL, AVG_POOL_REQUANT,
      ADD_REQUANT_ACT, MUL_REQUANT_ACT, ACTIVATION_REQUANT, MATMUL_REQUANT);

  /**
   * A convolution whose output only the stage after it reads (so fusing removes the
   * intermediate tensor); Conv2D's input and filter slots.
   */
  private static Pattern.OpPattern fusableConv() {
    return op("conv", Op.Conv2D.class).oneUse().in(Op.Conv2D.INPUT, any("input"))
        .in(Op.Conv2D.FILTER, constant("weights"));
  }

  /** A residual Add of the convolution's output (in {@code convSlot}) and the skip tensor. */
  private static Pattern.OpPattern residualAdd(int convSlot) {
    return op("add", Op.Add.class).in(convSlot, fusableConv())
        .in(convSlot == Op.Add.LHS ? Op.Add.RHS : Op.Add.LHS, any("skip"));
  }

  private static Pattern.OpPattern pool(Pattern input) {
    // MaxPool2D.INPUT == AveragePool2D.INPUT.
    return op("pool", Op.MaxPool2D.class, Op.AveragePool2D.class).in(Op.MaxPool2D.INPUT, input);
  }

  private static final String CONV_ADD = "conv2d_bias_requant_add_act";
  private static final String CONV_POOL = "conv2d_bias_requant_act_pool";
  private static final String CONV_ADD_POOL = "conv2d_bias_requant_add_act_pool";

  /** conv → residual Add (conv on the left) → pooling, in one call. */
  public static final Named CONV_ADD_LHS_POOL = new Named(CONV_ADD_POOL, OpPattern.Op.CONV2D,
      pool(residualAdd(Op.Add.LHS).oneUse()), m -> fused(m, CONV_ADD_POOL, true, true));

  /** conv → residual Add (conv on the right) → pooling, in one call. */
  public static final Named CONV_ADD_RHS_POOL = new Named(CONV_ADD_POOL, OpPattern.Op.CONV2D,
      pool(residualAdd(Op.Add.RHS).oneUse()), m -> fused(m, CONV_ADD_POOL, true, true));

  /** conv → residual Add (conv on the left), with the Add's optional ReLU. */
  public static final Named CONV_ADD_LHS = new Named(CONV_ADD, OpPattern.Op.CONV2D,
      residualAdd(Op.Add.LHS), m -> fused(m, CONV_ADD, true, false));

  /** conv → residual Add (conv on the right). */
  public static final Named CONV_ADD_RHS = new Named(CONV_ADD, OpPattern.Op.CONV2D,
      residualAdd(Op.Add.RHS), m -> fused(m, CONV_ADD, true, false));

  /** conv → MaxPool2D or AveragePool2D directly on its output. */
  public static final Named CONV_POOL_ONLY = new Named(CONV_POOL, OpPattern.Op.CONV2D,
      pool(fusableConv()), m -> fused(m, CONV_POOL, false, true));

  /** The fused patterns, longest first: a convolution takes the first one an accelerator accepts. */
  public static final List<Named> FUSED = List.of(CONV_ADD_LHS_POOL, CONV_ADD_RHS_POOL,
      CONV_ADD_LHS, CONV_ADD_RHS, CONV_POOL_ONLY);

  /**
   * Every fused layer of {@code idx}'s graph, by the index of the convolution it is anchored at,
   * longest first. A residual Add is anchored at the convolution that runs last among its
   * operands: its skip tensor must exist when the fused call runs, at the convolution's place.
   */
  public static Map<Integer, List<Layer>> fusions(GraphIndex idx) {
    List<Node> nodes = idx.graph().nodes();
    Map<Integer, List<Layer>> out = new TreeMap<>();
    for (Named p : FUSED) {
      for (Node root : nodes) {
        if (Pattern.matchNode(p.pattern(), idx, root) instanceof Pattern.Result.Matched mt) {
          Layer l = p.capture().apply(mt.match());
          int at = nodes.indexOf(l.node());
          boolean skipReady = l.fused().stream().flatMap(f -> f.skip().stream()).allMatch(skip -> {
            Node producer = idx.producer(skip.id());
            return producer == null || nodes.indexOf(producer) < at;
          });
          if (skipReady) {
            out.computeIfAbsent(at, k -> new ArrayList<>()).add(l);
          }
        }
      }
    }
    return out;
  }

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
        bias, Optional.empty(), m.value(root), Optional.ofNullable(w), act, depthMultiplier,
        List.of());
  }

  /** The convolution of {@code m} with its residual Add and/or pooling as fused stages. */
  private static Layer fused(Match m, String name, boolean add, boolean pool) {
    Op.Conv2D c = m.op("conv", Op.Conv2D.class);
    int[] f = m.value("weights").shape().dims();
    Layer conv = weighted(m, "conv", name, OpPattern.Op.CONV2D, Op.Conv2D.BIAS,
        new Layer.Window(f[1], f[2], c.strideH(), c.strideW(), c.dilationH(), c.dilationW(),
            c.pads()), c.act(), 1);
    List<Layer.Fused> stages = new ArrayList<>();
    Value current = m.value("conv");
    if (add) {
      stages.add(new Layer.Fused(OpPattern.FusedStage.RESIDUAL_ADD, m.node("add"), current,
          Optional.of(m.value("skip")), Optional.empty(), m.op("add", Op.Add.class).act(),
          m.value("add")));
      current = m.value("add");
    }
    if (pool) {
      Node p = m.node("pool");
      Layer.Fused stage = switch (p.op()) {
        case Op.MaxPool2D mp -> new Layer.Fused(OpPattern.FusedStage.MAX_POOL, p, current,
            Optional.empty(), Optional.of(new Layer.Window(mp.filterH(), mp.filterW(),
                mp.strideH(), mp.strideW(), 1, 1, mp.pads())), mp.act(), m.value("pool"));
        case Op.AveragePool2D ap -> new Layer.Fused(OpPattern.FusedStage.AVG_POOL, p, current,
            Optional.empty(), Optional.of(new Layer.Window(ap.filterH(), ap.filterW(),
                ap.strideH(), ap.strideW(), 1, 1, ap.pads())), ap.act(), m.value("pool"));
        default -> throw new IllegalStateException("pool pattern matched " + p.op().opName());
      };
      stages.add(stage);
    }
    return new Layer(conv.graph(), conv.node(), name, conv.kind(), conv.input(), conv.weights(),
        conv.bias(), conv.rhs(), conv.output(), conv.window(), conv.activation(), 1, stages);
  }

  private static Layer plain(Match m, String root, String name, OpPattern.Op kind,
      Layer.Window w, Op.Activation act) {
    return new Layer(m.graph(), m.node(root), name, kind, m.value("input"), Optional.empty(),
        Optional.empty(), Optional.empty(), m.value(root), Optional.of(w), act, 1, List.of());
  }

  private static Layer binary(Match m, String root, String name, OpPattern.Op kind,
      Op.Activation act) {
    return new Layer(m.graph(), m.node(root), name, kind, m.value("input"), Optional.empty(),
        Optional.empty(), Optional.of(m.value("rhs")), m.value(root), Optional.empty(), act, 1,
        List.of());
  }
}
