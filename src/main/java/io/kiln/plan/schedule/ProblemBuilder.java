package io.kiln.plan.schedule;

import io.kiln.plan.tiling.Dim;
import io.kiln.plan.tiling.ElementSizes;
import io.kiln.plan.tiling.Heuristic;
import io.kiln.plan.tiling.Memories;
import io.kiln.plan.tiling.Objective;
import io.kiln.plan.tiling.TileConstraint;
import io.kiln.plan.tiling.TileProblem;
import io.kiln.plan.weights.ChannelParams;
import io.kiln.plan.weights.WeightStorage;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.LoopDim;
import io.kiln.target.OpPattern;
import io.kiln.target.TilingPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns one layer on one accelerator into a {@link TileProblem}: the memories from the
 * description, the element sizes from the dtypes and the weight format the array stores, the
 * loops the policy may split, the array's hard limits, and the DORY objective from the policy.
 */
final class ProblemBuilder {
  private ProblemBuilder() {}

  /** Either the problem or why the layer cannot be posed on this accelerator. */
  sealed interface Built {}

  record Ok(TileProblem problem, OpPattern pattern) implements Built {}

  record Refused(String reason) implements Built {}

  static Built build(HardwareDescription hw, Accelerator acc, LayerGeometry geo) {
    List<OpPattern> patterns = acc.patterns(geo.op());
    if (patterns.isEmpty()) {
      return new Refused(acc.name() + " has no " + geo.op().name().toLowerCase(Locale.ROOT) + " pattern");
    }
    OpPattern pattern = patterns.get(0);
    if (geo.op() == OpPattern.Op.DEPTHWISE_CONV2D && acc.depthwise() == Accelerator.DepthwiseSupport.UNSUPPORTED) {
      return new Refused(acc.name() + " does not support depthwise convolution");
    }
    var l1 = hw.memory(acc.l1());
    if (l1.isEmpty()) {
      return new Refused(acc.name() + " names L1 memory '" + acc.l1() + "' that the description lacks");
    }
    long weightMemory = acc.weightMemory().map(m -> m.sizeBytes()).orElse(0L);
    Memories mem = new Memories(l1.get().sizeBytes(), weightMemory, acc.doubleBuffering());

    int weightBits = weightBits(pattern, geo);
    int inBits = geo.inputType().bytes() * 8;
    int outBits = geo.outputType().bytes() * 8;
    // Per output channel: the bias and requantization record the output stage reads.
    int params = !geo.hasWeights() ? 0 : paramFormat(pattern, geo).bytes();
    int operandBits = geo.operandType().map(t -> t.bytes() * 8).orElse(0);
    ElementSizes sizes = new ElementSizes(inBits, outBits, weightBits, 1, 1, 0, 32, params, operandBits);

    List<TileConstraint> constraints = new ArrayList<>();
    if (geo.weightsPerRow()) {
      // Each batch of a matmul is its own GEMM with its own right operand: a tile holds one.
      constraints.add(new TileConstraint.WeightsPerRow());
    }
    if (geo.hasWeights() && !geo.dynamicWeights()) {
      // The unit's weight layout decides the bits and blocks a tile of weights takes.
      WeightStorage storage = storage(acc, pattern, geo);
      sizes = storage.applyTo(sizes);
      constraints.addAll(storage.constraints(geo.shape()));
    }
    TilingPolicy policy = acc.tiling();
    for (Dim d : Dim.values()) {
      // A depthwise layer's channel loop is K's (the tiler binds C's rules to K): C is never cut.
      boolean channelOfDepthwise = d == Dim.C && geo.shape().depthwise();
      if (!channelOfDepthwise && !policy.split().contains(toLoop(d))) {
        constraints.add(new TileConstraint.Untiled(d));
      }
    }
    // A fused pooling reduces whole windows: output tiles (in conv output coordinates) start and
    // end on window boundaries, so no window is cut between two calls.
    if (geo.poolY() > 1) {
      constraints.add(new TileConstraint.MultipleOf(Dim.OY, geo.poolY()));
    }
    if (geo.poolX() > 1) {
      constraints.add(new TileConstraint.MultipleOf(Dim.OX, geo.poolX()));
    }
    pattern.maxInputChannels().ifPresent(m -> constraints.add(new TileConstraint.AtMost(Dim.C, m)));
    pattern.maxOutputChannels().ifPresent(m -> constraints.add(new TileConstraint.AtMost(Dim.K, m)));
    if (acc.kind() == Accelerator.Kind.ANALOG_IMC) {
      // Weights are stationary in the cells: one call's weights must map onto the array, so each
      // unrolled group of loops is bounded by its array dimension.
      for (OpPattern.Unroll u : pattern.unroll()) {
        long fixed = 1;
        Dim free = null;
        for (LoopDim ld : u.loops()) {
          switch (ld) {
            case FY -> fixed *= geo.shape().fy();
            case FX -> fixed *= geo.shape().fx();
            default -> free = toDim(ld);
          }
        }
        if (free == null) {
          continue;
        }
        long max = u.factor() / fixed;
        if (max < 1) {
          return new Refused(String.format(Locale.ROOT, "%s: a %dx%d kernel needs %d of the %d %s of the array",
              acc.name(), geo.shape().fy(), geo.shape().fx(), fixed, u.factor(), u.on()));
        }
        constraints.add(new TileConstraint.AtMost(free, (int) Math.min(Integer.MAX_VALUE, max)));
      }
    }

    double scale = integral(policy) ? 1 : 1000;
    List<Heuristic> hs = new ArrayList<>();
    for (TilingPolicy.Heuristic h : policy.heuristics()) {
      long w = Math.round(h.weight() * scale);
      switch (h) {
        case TilingPolicy.Heuristic.MultipleOf m -> {
          if (toDim(m.dim()) != null) {
            hs.add(new Heuristic.MultipleOf(toDim(m.dim()), m.multiple(), w));
          }
        }
        case TilingPolicy.Heuristic.Maximize m -> {
          if (toDim(m.dim()) != null) {
            hs.add(new Heuristic.Maximize(toDim(m.dim()), w));
          }
        }
        case TilingPolicy.Heuristic.FillArray f -> {
          for (OpPattern.Unroll u : pattern.unroll()) {
            List<Dim> dims = u.loops().stream().map(ProblemBuilder::toDim).filter(d -> d != null).toList();
            boolean kernel = u.loops().contains(LoopDim.FY) || u.loops().contains(LoopDim.FX);
            if (!dims.isEmpty()) {
              hs.add(new Heuristic.Unroll(dims, kernel, u.factor(), w));
            }
          }
        }
      }
    }
    Objective objective = new Objective(Math.round(policy.alpha() * scale), hs);
    return new Ok(new TileProblem(geo.shape(), sizes, mem, constraints, objective), pattern);
  }

  /**
   * How {@code acc} stores this layer's weights: N:M weights in the unit's format for them when it
   * declares one ({@link io.kiln.target.Sparsity#formatFor}), else its dense layout.
   */
  static WeightStorage storage(Accelerator acc, OpPattern pattern, LayerGeometry geo) {
    java.util.Optional<io.kiln.ir.Encoding.NM> f = sparseFormat(acc, pattern, geo);
    if (f.isPresent()) {
      return WeightStorage.sparse(acc.weightLayout(), pattern, f.get(), acc.sparsity().offsetBits());
    }
    return WeightStorage.of(acc, pattern, geo.shape().depthwise(), weightBits(pattern, geo));
  }

  /** The N:M format {@code acc} stores this layer's weights in, if it stores them sparse. */
  static java.util.Optional<io.kiln.ir.Encoding.NM> sparseFormat(Accelerator acc, OpPattern pattern,
      LayerGeometry geo) {
    boolean op = pattern.op() == OpPattern.Op.CONV2D || pattern.op() == OpPattern.Op.FULLY_CONNECTED;
    return op && !geo.shape().depthwise() ? geo.nmWeights().flatMap(acc.sparsity()::formatFor)
        : java.util.Optional.empty();
  }

  /** The per-channel record the pattern's output stage reads for this layer. */
  static ChannelParams.Format paramFormat(OpPattern pattern, LayerGeometry geo) {
    if (geo.dynamicWeights()) {
      // A matmul's requantization is one multiplier for the tensor, carried by its jobs.
      return new ChannelParams.Format(false, ChannelParams.Scheme.NONE);
    }
    ChannelParams.Format f = ChannelParams.Format.of(geo.hasBias(), pattern.requant());
    // A shift-only stage adds a bias that carries the folded zero point (io.kiln.quant.ShiftStage)
    // even where the layer has no bias tensor.
    return f.scheme() == ChannelParams.Scheme.SHIFT && geo.hasWeights() ? new ChannelParams.Format(true, f.scheme())
        : f;
  }

  /**
   * Bits per stored weight: ternary-valued weights take 2 bits where the array stores ternary
   * cells; otherwise the narrowest format the pattern accepts that holds the values (an array that
   * only takes ternary or 2-bit weights stores 2 bits — dispatch decides whether that is allowed);
   * 0 for a layer without weights.
   */
  static int weightBits(OpPattern pattern, LayerGeometry geo) {
    if (!geo.hasWeights()) {
      return 0;
    }
    List<OpPattern.WeightFormat> f = pattern.weights();
    if (geo.ternaryWeights() && (f.contains(OpPattern.WeightFormat.TERNARY) || f.contains(OpPattern.WeightFormat.INT2))) {
      return 2;
    }
    if (f.contains(OpPattern.WeightFormat.INT8)) {
      return 8;
    }
    if (f.contains(OpPattern.WeightFormat.INT4)) {
      return 4;
    }
    return 2;
  }

  private static boolean integral(TilingPolicy p) {
    if (p.alpha() != Math.rint(p.alpha())) {
      return false;
    }
    return p.heuristics().stream().allMatch(h -> h.weight() == Math.rint(h.weight()));
  }

  static LoopDim toLoop(Dim d) {
    return switch (d) {
      case K -> LoopDim.K;
      case C -> LoopDim.C;
      case OY -> LoopDim.OY;
      case OX -> LoopDim.OX;
    };
  }

  static Dim toDim(LoopDim d) {
    return switch (d) {
      case K -> Dim.K;
      case C -> Dim.C;
      case OY -> Dim.OY;
      case OX -> Dim.OX;
      case FY, FX -> null;
    };
  }
}
