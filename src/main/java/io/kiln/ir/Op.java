package io.kiln.ir;

import java.util.List;

/**
 * The operators of Kiln's IR: a sealed family of records with typed attributes, so adding an
 * operator is a compile error at every exhaustive {@code switch} that must handle it. Input slots
 * are named by constants on each record; tensor layouts follow TFLite (activations NHWC, conv
 * filters OHWI, depthwise filters 1HW(C*M), fully-connected weights [out, in]).
 */
public sealed interface Op {

  /** Activation fused into an operator's output stage. */
  enum Activation {
    NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT
  }

  /** Explicit spatial padding in elements (TFLite SAME/VALID are resolved on import). */
  record Pads(int top, int left, int bottom, int right) {
    public static final Pads NONE = new Pads(0, 0, 0, 0);

    public Pads {
      if (top < 0 || left < 0 || bottom < 0 || right < 0) {
        throw new IllegalArgumentException("negative padding " + top + "," + left + "," + bottom
            + "," + right);
      }
    }
  }

  /** The input slots of a layer's weights and bias. */
  record ConstantSlots(int weights, int bias) {}

  /**
   * The weight and bias slots of a conv, depthwise conv or fully-connected operator; empty for
   * operators without weights.
   */
  static java.util.Optional<ConstantSlots> constantSlots(Op op) {
    return java.util.Optional.ofNullable(switch (op) {
      case Conv2D c -> new ConstantSlots(Conv2D.FILTER, Conv2D.BIAS);
      case DepthwiseConv2D d -> new ConstantSlots(DepthwiseConv2D.FILTER, DepthwiseConv2D.BIAS);
      case FullyConnected f -> new ConstantSlots(FullyConnected.WEIGHTS, FullyConnected.BIAS);
      default -> null;
    });
  }

  /**
   * The output stage of an operator that has one (conv, depthwise, fully connected, Add, average
   * pooling); empty for the others.
   */
  static java.util.Optional<Requant> requant(Op op) {
    return java.util.Optional.ofNullable(switch (op) {
      case Conv2D c -> c.requant();
      case DepthwiseConv2D d -> d.requant();
      case FullyConnected f -> f.requant();
      case Add a -> a.requant();
      case AveragePool2D a -> a.requant();
      default -> null;
    });
  }

  /** Canonical operator name used by the text form and reports. */
  default String opName() {
    return getClass().getSimpleName();
  }

  /**
   * 2-D convolution over NHWC input with OHWI filters. With integer inputs and an int32 output it
   * produces raw accumulators (sum of (x - x_zp) * (w - w_zp) plus bias, no requantization); a
   * separate {@link Quantize} then rounds them with its explicit scheme. With an int8 output its
   * {@code requant} stage rounds them (TFLite's unless a lowering made it a shift).
   */
  record Conv2D(int strideH, int strideW, int dilationH, int dilationW, Pads pads, Activation act,
      Requant requant) implements Op {
    public static final int INPUT = 0;
    public static final int FILTER = 1;
    public static final int BIAS = 2;

    public Conv2D {
      java.util.Objects.requireNonNull(requant);
    }

    /** A convolution with TFLite's output stage. */
    public Conv2D(int strideH, int strideW, int dilationH, int dilationW, Pads pads,
        Activation act) {
      this(strideH, strideW, dilationH, dilationW, pads, act, Requant.TFLITE);
    }

    public Conv2D withRequant(Requant r) {
      return new Conv2D(strideH, strideW, dilationH, dilationW, pads, act, r);
    }
  }

  /** Depthwise convolution; the filter is [1, KH, KW, C * depthMultiplier]. */
  record DepthwiseConv2D(int strideH, int strideW, int dilationH, int dilationW, Pads pads,
      int depthMultiplier, Activation act, Requant requant) implements Op {
    public static final int INPUT = 0;
    public static final int FILTER = 1;
    public static final int BIAS = 2;

    public DepthwiseConv2D {
      java.util.Objects.requireNonNull(requant);
    }

    /** A depthwise convolution with TFLite's output stage. */
    public DepthwiseConv2D(int strideH, int strideW, int dilationH, int dilationW, Pads pads,
        int depthMultiplier, Activation act) {
      this(strideH, strideW, dilationH, dilationW, pads, depthMultiplier, act, Requant.TFLITE);
    }

    public DepthwiseConv2D withRequant(Requant r) {
      return new DepthwiseConv2D(strideH, strideW, dilationH, dilationW, pads, depthMultiplier,
          act, r);
    }
  }

  /** Fully connected layer: input flattened to [batch, in], weights [out, in]. */
  record FullyConnected(Activation act, boolean keepNumDims, Requant requant) implements Op {
    public static final int INPUT = 0;
    public static final int WEIGHTS = 1;
    public static final int BIAS = 2;

    public FullyConnected {
      java.util.Objects.requireNonNull(requant);
    }

    /** A fully-connected layer with TFLite's output stage. */
    public FullyConnected(Activation act, boolean keepNumDims) {
      this(act, keepNumDims, Requant.TFLITE);
    }

    public FullyConnected withRequant(Requant r) {
      return new FullyConnected(act, keepNumDims, r);
    }
  }

  /** Transposed convolution with OHWI filters; {@code outputShape} is static. */
  record TransposeConv(int strideH, int strideW, Pads pads, Shape outputShape, Activation act)
      implements Op {
    public static final int INPUT = 0;
    public static final int FILTER = 1;
    public static final int BIAS = 2;
    /** Optional runtime copy of {@link #outputShape()} that TFLite passes as a tensor. */
    public static final int OUTPUT_SHAPE = 3;
  }

  /**
   * Average pooling; padded positions are excluded from the divisor (TFLite semantics). A shift
   * {@code requant} divides by shifting instead (every window's element count a power of two).
   */
  record AveragePool2D(int filterH, int filterW, int strideH, int strideW, Pads pads,
      Activation act, Requant requant) implements Op {
    public static final int INPUT = 0;

    public AveragePool2D {
      java.util.Objects.requireNonNull(requant);
    }

    /** An average pooling with TFLite's division. */
    public AveragePool2D(int filterH, int filterW, int strideH, int strideW, Pads pads,
        Activation act) {
      this(filterH, filterW, strideH, strideW, pads, act, Requant.TFLITE);
    }

    public AveragePool2D withRequant(Requant r) {
      return new AveragePool2D(filterH, filterW, strideH, strideW, pads, act, r);
    }
  }

  record MaxPool2D(int filterH, int filterW, int strideH, int strideW, Pads pads, Activation act)
      implements Op {
    public static final int INPUT = 0;
  }

  /**
   * Element-wise addition with numpy broadcasting; integer operands are rescaled by
   * {@code requant} (TFLite's fixed point, or shifts after a lowering).
   */
  record Add(Activation act, Requant requant) implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;

    public Add {
      java.util.Objects.requireNonNull(requant);
    }

    /** An addition with TFLite's rescaling. */
    public Add(Activation act) {
      this(act, Requant.TFLITE);
    }

    public Add withRequant(Requant r) {
      return new Add(act, r);
    }
  }

  record Sub(Activation act) implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;
  }

  record Mul(Activation act) implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;
  }

  /** Same data, new static shape. */
  record Reshape(Shape newShape) implements Op {
    public static final int INPUT = 0;
  }

  /** Softmax over the last axis. */
  record Softmax(float beta) implements Op {
    public static final int INPUT = 0;
  }

  /**
   * float → integer, or integer → integer with a new scale (requantize). An int32 input is an
   * accumulator whose quantization (per tensor or per output channel) gives its real scale.
   */
  record Quantize(RequantScheme scheme) implements Op {
    public static final int INPUT = 0;

    /** The TFLite scheme, which every TFLite model uses. */
    public Quantize() {
      this(RequantScheme.FIXED_POINT);
    }
  }

  /** integer → float. */
  record Dequantize() implements Op {
    public static final int INPUT = 0;
  }

  /** Constant padding with the output zero point (or 0.0 for floats). */
  record Pad(List<Integer> before, List<Integer> after) implements Op {
    public static final int INPUT = 0;

    public Pad {
      before = List.copyOf(before);
      after = List.copyOf(after);
    }
  }

  record LeakyRelu(float alpha) implements Op {
    public static final int INPUT = 0;
  }

  /** TFLite STRIDED_SLICE with its bit masks; begin/end/strides are static. */
  record StridedSlice(List<Integer> begin, List<Integer> end, List<Integer> strides,
      int beginMask, int endMask, int ellipsisMask, int newAxisMask, int shrinkAxisMask,
      boolean offset) implements Op {
    public static final int INPUT = 0;

    public StridedSlice {
      begin = List.copyOf(begin);
      end = List.copyOf(end);
      strides = List.copyOf(strides);
    }
  }

  /** Concatenation of all inputs along {@code axis} (non-negative). */
  record Concatenation(int axis, Activation act) implements Op {}

  record Relu() implements Op {
    public static final int INPUT = 0;
  }

  record Relu6() implements Op {
    public static final int INPUT = 0;
  }

  record Logistic() implements Op {
    public static final int INPUT = 0;
  }

  record Tanh() implements Op {
    public static final int INPUT = 0;
  }

  /** Mean over {@code axes} (non-negative, sorted, unique). */
  record Mean(List<Integer> axes, boolean keepDims) implements Op {
    public static final int INPUT = 0;

    public Mean {
      axes = List.copyOf(axes);
    }
  }

  /** Permutes dimensions: output dim i is input dim {@code perm[i]}. */
  record Transpose(List<Integer> perm) implements Op {
    public static final int INPUT = 0;

    public Transpose {
      perm = List.copyOf(perm);
    }
  }

  /** Element-wise division with numpy broadcasting; integer division truncates toward zero. */
  record Div(Activation act) implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;
  }

  /** Element-wise maximum with numpy broadcasting. */
  record Maximum() implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;
  }

  /** Element-wise minimum with numpy broadcasting. */
  record Minimum() implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;
  }

  /** x where x >= 0, else slope * x; the slope broadcasts against x. */
  record PRelu() implements Op {
    public static final int INPUT = 0;
    public static final int SLOPE = 1;
  }

  /** Clamps to [min, max] (real values; infinities mean unbounded). */
  record Clip(float min, float max) implements Op {
    public static final int INPUT = 0;
  }

  /** max(0, min(1, alpha * x + beta)). */
  record HardSigmoid(float alpha, float beta) implements Op {
    public static final int INPUT = 0;
  }

  /** x * max(0, min(1, x / 6 + 1 / 2)). */
  record HardSwish() implements Op {
    public static final int INPUT = 0;
  }

  /** x if x > 0, else alpha * (exp(x) - 1). */
  record Elu(float alpha) implements Op {
    public static final int INPUT = 0;
  }

  /**
   * Inference batch normalization over the last (channel) axis, the NHWC channel:
   * {@code scale * (x - mean) / sqrt(variance + epsilon) + bias}; the four parameters are [C].
   */
  record BatchNorm(float epsilon) implements Op {
    public static final int INPUT = 0;
    public static final int SCALE = 1;
    public static final int BIAS = 2;
    public static final int MEAN = 3;
    public static final int VARIANCE = 4;
  }

  /**
   * Numpy matmul: rank-1 operands are promoted (and the added dimension dropped), leading batch
   * dimensions broadcast. Integer operands produce raw int32 accumulators of
   * (a - a_zp) * (b - b_zp), the zero points coming from the operands' quantization.
   */
  record MatMul() implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;
  }

  record Abs() implements Op {
    public static final int INPUT = 0;
  }

  record Neg() implements Op {
    public static final int INPUT = 0;
  }

  record Exp() implements Op {
    public static final int INPUT = 0;
  }

  record Log() implements Op {
    public static final int INPUT = 0;
  }

  record Sqrt() implements Op {
    public static final int INPUT = 0;
  }

  /** Element-wise power with numpy broadcasting (float). */
  record Pow() implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;
  }

  /**
   * Element type conversion like C's {@code static_cast} (TFLite CAST): integers wrap to the
   * narrower type, floats truncate toward zero; no quantization is involved.
   */
  record Cast() implements Op {
    public static final int INPUT = 0;
  }

  /**
   * TFLite SVDF: a rank-{@code rank} singular-value-decomposition filter over time. Each
   * invocation shifts the [batch, filters * memory] {@code state} left by one step, writes the
   * input's feature projection (weights_feature [filters, input]) as every filter's newest step,
   * weighs each filter's memory by weights_time [filters, memory] and sums {@code rank} filters
   * per output unit, plus bias. The state is TFLite's variable tensor and belongs to the
   * operator: it persists from one invocation to the next until a reset ({@link OpState}).
   * Integer SVDF follows TFLM: int8 input and output, int16 (or int8) time weights and state,
   * and no fused activation (TFLM's integer kernel ignores it, so {@code act} is NONE).
   */
  record Svdf(int rank, Activation act, TensorType state) implements Op {
    public static final int INPUT = 0;
    public static final int WEIGHTS_FEATURE = 1;
    public static final int WEIGHTS_TIME = 2;
    public static final int BIAS = 3;

    public Svdf {
      java.util.Objects.requireNonNull(act);
      java.util.Objects.requireNonNull(state);
      if (rank < 1) {
        throw new io.kiln.KilnException("SVDF rank " + rank + " is not positive");
      }
    }
  }

  /**
   * TFLite UNIDIRECTIONAL_SEQUENCE_LSTM as TFLM runs it: no peepholes, projection, layer norm or
   * coupled input-forget gate. Per time step: the four gates from the input and the hidden
   * state, the cell state {@code c = f * c + i * g} (clipped to {@code cellClip} when positive),
   * the hidden state {@code h = o * tanh(c)}, which is also the step's output. The input is
   * [batch, time, input] ([time, batch, input] when {@code timeMajor}); the hidden and cell
   * states ([batch, units] each) are TFLite's variable tensors and belong to the operator
   * ({@link OpState}). int8 activations use an int16 cell state, as TFLM's integer LSTM does.
   */
  record UnidirectionalLstm(Activation cellActivation, float cellClip, boolean timeMajor,
      TensorType hiddenState, TensorType cellState) implements Op {
    public static final int INPUT = 0;
    /** Input-to-gate weights [units, input], in gate order input, forget, cell, output. */
    public static final int INPUT_WEIGHTS = 1;
    /** Recurrent (hidden-to-gate) weights [units, units], same gate order. */
    public static final int RECURRENT_WEIGHTS = 5;
    /** Gate biases [units], same gate order. */
    public static final int BIAS = 9;
    /** Gate indices, added to the slot bases above. */
    public static final int GATE_INPUT = 0;
    public static final int GATE_FORGET = 1;
    public static final int GATE_CELL = 2;
    public static final int GATE_OUTPUT = 3;

    public UnidirectionalLstm {
      java.util.Objects.requireNonNull(cellActivation);
      java.util.Objects.requireNonNull(hiddenState);
      java.util.Objects.requireNonNull(cellState);
    }

    @Override
    public String opName() {
      return "UnidirectionalSequenceLstm";
    }
  }

  /** One operator of TFLM's fixed-point audio front-end ({@link SignalOp}). */
  record Signal(SignalOp kind) implements Op {
    @Override
    public String opName() {
      return kind.opName();
    }
  }

  /** Passes its input through unchanged; importers keep it so names survive, passes drop it. */
  record Identity() implements Op {
    public static final int INPUT = 0;
  }

  /**
   * The input's static shape as a 1-D integer tensor (TFLite SHAPE, ONNX Shape); the output's
   * dtype (int32 or int64) says which. Constant folding turns it into a constant.
   */
  record ShapeOf() implements Op {
    public static final int INPUT = 0;
  }

  /**
   * Slices of the input along {@code axis} picked by integer indices (TFLite GATHER, ONNX
   * Gather): out[outer..., indices..., inner...] = in[outer..., index, inner...]. The first
   * {@code batchDims} dimensions of input and indices are shared (TFLite's batch_dims). An index
   * in [-n, 0) counts from the end of the axis (ONNX); other indices outside [0, n) are an error.
   * {@code axis} and {@code batchDims} are non-negative.
   */
  record Gather(int axis, int batchDims) implements Op {
    public static final int INPUT = 0;
    public static final int INDICES = 1;
  }

  /** How {@link Resize} samples the input. */
  enum ResizeMode {
    NEAREST, BILINEAR
  }

  /**
   * TFLite RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR of an NHWC tensor to {@code height} x
   * {@code width} (TFLM requires the size tensor to be constant), with TFLite's {@code align_corners} and {@code half_pixel_centers}
   * coordinate conventions. Integer values are resampled as they are (TFLM keeps the
   * quantization).
   */
  record Resize(ResizeMode mode, int height, int width, boolean alignCorners,
      boolean halfPixelCenters) implements Op {
    public static final int INPUT = 0;
  }

  /**
   * TFLite BATCH_MATMUL: out[..., i, j] = sum over k of lhs[..., i, k] * rhs[..., k, j], with
   * lhs (adjX) or rhs (adjY) given transposed in their last two dimensions and leading
   * dimensions broadcast. int8 operands subtract their zero points and the int32 sum is
   * requantized to the int8 output by lhs_scale * rhs_scale / out_scale, as TFLM does.
   */
  record BatchMatMul(boolean adjX, boolean adjY) implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;
  }
}
