package io.kiln.target;

import io.kiln.ir.DType;
import io.kiln.ir.Requant;
import io.kiln.ir.RequantScheme;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One operator an accelerator executes, with the constraints dispatch checks before sending a
 * layer there and the unrolling of the layer's loops on the array that the cost model and tiler
 * use. The fields a given {@link Op} cannot have (weights on a pooling, a window on an add) are
 * empty; the loader enforces that.
 *
 * @param name unique within the accelerator; dispatch reports name it
 * @param unroll how loop dimensions map onto array dimensions
 * @param kernelSizes allowed filter/window heights and widths
 * @param strides allowed strides (both directions)
 * @param dilations allowed dilations (both directions)
 * @param depthwise how a depthwise pattern runs (native or emulated); present exactly for
 *     {@link Op#DEPTHWISE_CONV2D}
 * @param weights accepted weight formats; empty for operators without weights
 * @param inputBits activation bits the array takes; wider inputs must be requantized first
 * @param outputs output dtypes it can produce
 * @param requant requantization schemes its output stage implements; empty when it only
 *     writes raw accumulators
 * @param activations activation functions it can fuse (or, for {@link Op#ACTIVATION}, compute)
 * @param fuses further stages it fuses into one call
 * @param maxInputChannels channel limit of one call, if any
 * @param maxOutputChannels output channel limit of one call, if any
 * @param shiftRounding how a {@link RequantScheme#SHIFT} output stage rounds; present exactly
 *     when {@code requant} lists it
 * @param outputBits the bits of the values the output stage writes (sign-extended into the
 *     int8 output); fewer than 8 when a converter limits them, like an analog array's ADC
 */
public record OpPattern(String name, Op op, List<Unroll> unroll, IntSet kernelSizes,
    IntSet strides, IntSet dilations, Optional<Accelerator.DepthwiseSupport> depthwise,
    List<WeightFormat> weights, int inputBits, List<DType> outputs, List<RequantScheme> requant,
    List<ActivationFn> activations, List<FusedStage> fuses, OptionalInt maxInputChannels,
    OptionalInt maxOutputChannels, Optional<Requant.Rounding> shiftRounding, int outputBits) {

  public OpPattern {
    if (requant.contains(RequantScheme.SHIFT) != shiftRounding.isPresent()) {
      throw new IllegalArgumentException("pattern " + name + ": a shift rounding exactly when"
          + " the output stage shifts");
    }
    if (outputBits < 2 || outputBits > 8) {
      throw new IllegalArgumentException("pattern " + name + ": output bits " + outputBits);
    }
    unroll = List.copyOf(unroll);
    weights = List.copyOf(weights);
    outputs = List.copyOf(outputs);
    requant = List.copyOf(requant);
    activations = List.copyOf(activations);
    fuses = List.copyOf(fuses);
  }

  /**
   * A pattern with full-width outputs; a shift-only output stage rounds by {@link
   * Requant.Rounding#FLOOR}, the plain arithmetic shift.
   */
  public OpPattern(String name, Op op, List<Unroll> unroll, IntSet kernelSizes,
      IntSet strides, IntSet dilations, Optional<Accelerator.DepthwiseSupport> depthwise,
      List<WeightFormat> weights, int inputBits, List<DType> outputs, List<RequantScheme> requant,
      List<ActivationFn> activations, List<FusedStage> fuses, OptionalInt maxInputChannels,
      OptionalInt maxOutputChannels) {
    this(name, op, unroll, kernelSizes, strides, dilations, depthwise, weights, inputBits,
        outputs, requant, activations, fuses, maxInputChannels, maxOutputChannels,
        requant.contains(RequantScheme.SHIFT) ? Optional.of(Requant.Rounding.FLOOR)
            : Optional.empty(), 8);
  }

  /** The same pattern with another unrolling. */
  public OpPattern withUnroll(List<Unroll> newUnroll) {
    return new OpPattern(name, op, newUnroll, kernelSizes, strides, dilations, depthwise, weights,
        inputBits, outputs, requant, activations, fuses, maxInputChannels, maxOutputChannels,
        shiftRounding, outputBits);
  }

  /** Whether the output stage can only shift (no fixed-point multiplier). */
  public boolean shiftOnly() {
    return !requant.contains(RequantScheme.FIXED_POINT) && requant.contains(RequantScheme.SHIFT);
  }

  /** The operators a pattern can describe. */
  public enum Op {
    CONV2D(true, true),
    DEPTHWISE_CONV2D(true, true),
    FULLY_CONNECTED(true, false),
    MATMUL(true, false),
    MAX_POOL(false, true),
    AVG_POOL(false, true),
    ADD(false, false),
    SUB(false, false),
    MUL(false, false),
    /** A standalone activation function ({@link OpPattern#activations} says which). */
    ACTIVATION(false, false);

    private final boolean hasWeights;
    private final boolean hasWindow;

    Op(boolean hasWeights, boolean hasWindow) {
      this.hasWeights = hasWeights;
      this.hasWindow = hasWindow;
    }

    /** Whether the operator has a weight tensor (so {@code weights} must be given). */
    public boolean hasWeights() {
      return hasWeights;
    }

    /** Whether the operator slides a window (so kernel sizes, strides, dilations apply). */
    public boolean hasWindow() {
      return hasWindow;
    }
  }

  /** Weight encodings an array can hold. */
  public enum WeightFormat {
    INT8, INT4, INT2,
    /** Values in {-1, 0, +1} (analog in-memory compute cells). */
    TERNARY
  }

  /** Activation functions an output stage (or a standalone unit) computes. */
  public enum ActivationFn {
    RELU, RELU6, CLIP, LEAKY_RELU, SIGMOID, TANH
  }

  /** Stages fused into the same accelerator call as the main operator. */
  public enum FusedStage {
    BIAS, BATCH_NORM, RESIDUAL_ADD, MAX_POOL, AVG_POOL
  }

  /**
   * Loops {@code loops} unrolled together on array dimension {@code on}, up to {@code factor}
   * iterations at once (at most the dimension's size). Several loops on one dimension unroll
   * their product: an analog array's rows take C·FY·FX.
   */
  public record Unroll(List<LoopDim> loops, String on, int factor) {
    public Unroll {
      loops = List.copyOf(loops);
    }
  }
}
