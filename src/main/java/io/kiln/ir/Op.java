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

  /** Canonical operator name used by the text form and reports. */
  default String opName() {
    return getClass().getSimpleName();
  }

  /** 2-D convolution over NHWC input with OHWI filters. */
  record Conv2D(int strideH, int strideW, int dilationH, int dilationW, Pads pads, Activation act)
      implements Op {
    public static final int INPUT = 0;
    public static final int FILTER = 1;
    public static final int BIAS = 2;
  }

  /** Depthwise convolution; the filter is [1, KH, KW, C * depthMultiplier]. */
  record DepthwiseConv2D(int strideH, int strideW, int dilationH, int dilationW, Pads pads,
      int depthMultiplier, Activation act) implements Op {
    public static final int INPUT = 0;
    public static final int FILTER = 1;
    public static final int BIAS = 2;
  }

  /** Fully connected layer: input flattened to [batch, in], weights [out, in]. */
  record FullyConnected(Activation act, boolean keepNumDims) implements Op {
    public static final int INPUT = 0;
    public static final int WEIGHTS = 1;
    public static final int BIAS = 2;
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

  /** Average pooling; padded positions are excluded from the divisor (TFLite semantics). */
  record AveragePool2D(int filterH, int filterW, int strideH, int strideW, Pads pads,
      Activation act) implements Op {
    public static final int INPUT = 0;
  }

  record MaxPool2D(int filterH, int filterW, int strideH, int strideW, Pads pads, Activation act)
      implements Op {
    public static final int INPUT = 0;
  }

  /** Element-wise addition with numpy broadcasting. */
  record Add(Activation act) implements Op {
    public static final int LHS = 0;
    public static final int RHS = 1;
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

  /** float → integer, or integer → integer with a new scale (requantize). */
  record Quantize() implements Op {
    public static final int INPUT = 0;
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
}
