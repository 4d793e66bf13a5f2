package io.kiln.frontend.tflite;

import static org.tensorflow.lite.schema.BuiltinOperator.*;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.ConcatenationOptions;
import org.tensorflow.lite.schema.Conv2DOptions;
import org.tensorflow.lite.schema.DepthwiseConv2DOptions;
import org.tensorflow.lite.schema.FullyConnectedOptions;
import org.tensorflow.lite.schema.FullyConnectedOptionsWeightsFormat;
import org.tensorflow.lite.schema.LeakyReluOptions;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.Pool2DOptions;
import org.tensorflow.lite.schema.ReducerOptions;
import org.tensorflow.lite.schema.SoftmaxOptions;
import org.tensorflow.lite.schema.StridedSliceOptions;
import org.tensorflow.lite.schema.TransposeConvOptions;

/**
 * Maps one TFLite builtin operator (its options and attribute tensors) onto an IR {@link Op} and
 * the TFLite tensors that feed the IR's input slots.
 */
final class TfliteOperators {
  private TfliteOperators() {}

  /** What the importer needs to know about tensors while mapping an operator. */
  interface Tensors {
    TensorType type(int tensor);

    /** Elements of a constant int32/int64 tensor; fails clearly when it is not constant. */
    int[] constInts(int tensor, String what);

    /** Elements of a constant tensor of the operator's own dtype, widened to double. */
    double[] constValues(int tensor, String what);

    /**
     * The type of a variable tensor ({@code is_variable}) that this operator keeps as its
     * state; fails clearly when the tensor is not a variable or another operator owns it.
     */
    TensorType variable(int tensor, String what, String where);
  }

  /** The IR operator and, per IR input slot, a TFLite tensor index or -1 for absent. */
  record Mapped(Op op, int[] inputs) {}

  /** Input arity of each supported builtin: {min, max}; max -1 means unbounded. */
  private static final Map<Integer, int[]> ARITY = new TreeMap<>(Map.ofEntries(
      Map.entry(CONV_2D, new int[] {2, 3}),
      Map.entry(DEPTHWISE_CONV_2D, new int[] {2, 3}),
      Map.entry(FULLY_CONNECTED, new int[] {2, 3}),
      Map.entry(AVERAGE_POOL_2D, new int[] {1, 1}),
      Map.entry(MAX_POOL_2D, new int[] {1, 1}),
      Map.entry(ADD, new int[] {2, 2}),
      Map.entry(SUB, new int[] {2, 2}),
      Map.entry(MUL, new int[] {2, 2}),
      Map.entry(RESHAPE, new int[] {1, 2}),
      Map.entry(SOFTMAX, new int[] {1, 1}),
      Map.entry(QUANTIZE, new int[] {1, 1}),
      Map.entry(DEQUANTIZE, new int[] {1, 1}),
      Map.entry(PAD, new int[] {2, 2}),
      Map.entry(PADV2, new int[] {2, 3}),
      Map.entry(LEAKY_RELU, new int[] {1, 1}),
      Map.entry(STRIDED_SLICE, new int[] {4, 4}),
      Map.entry(TRANSPOSE_CONV, new int[] {3, 4}),
      Map.entry(CONCATENATION, new int[] {1, -1}),
      Map.entry(RELU, new int[] {1, 1}),
      Map.entry(RELU6, new int[] {1, 1}),
      Map.entry(LOGISTIC, new int[] {1, 1}),
      Map.entry(TANH, new int[] {1, 1}),
      Map.entry(MEAN, new int[] {2, 2}),
      Map.entry(TRANSPOSE, new int[] {2, 2}),
      Map.entry(CAST, new int[] {1, 1}),
      Map.entry(DIV, new int[] {2, 2}),
      Map.entry(MAXIMUM, new int[] {2, 2}),
      Map.entry(MINIMUM, new int[] {2, 2}),
      Map.entry(HARD_SWISH, new int[] {1, 1}),
      Map.entry(EXPAND_DIMS, new int[] {2, 2}),
      Map.entry(SQUEEZE, new int[] {1, 1}),
      Map.entry(PRELU, new int[] {2, 2}),
      Map.entry(SVDF, new int[] {5, 5}),
      Map.entry(UNIDIRECTIONAL_SEQUENCE_LSTM, new int[] {24, 24})));

  static {
    ARITY.putAll(TfliteIndexOps.ARITY);
  }

  static boolean supported(int code) {
    return ARITY.containsKey(code) || TfliteSplitPack.handles(code);
  }

  /** Comma-separated sorted names of the supported builtins, for error messages. */
  static String supportedList() {
    TreeSet<String> names = new TreeSet<>();
    for (int code = 0; code < BuiltinOperator.names.length; code++) {
      if (supported(code)) {
        names.add(builtinName(code));
      }
    }
    return String.join(", ", names);
  }

  static String builtinName(int code) {
    return code >= 0 && code < BuiltinOperator.names.length ? BuiltinOperator.names[code]
        : "BUILTIN_" + code;
  }

  /** TFLite's {@code GetBuiltinCode}: the larger of the new and the deprecated int8 field. */
  static int builtinCode(int builtinCode, byte deprecatedCode) {
    return Math.max(builtinCode, deprecatedCode);
  }

  /** Checks the operator's input count; {@code inputs} are its TFLite tensor indices. */
  static void checkArity(int code, int[] inputs, String where) {
    int[] a = ARITY.get(code);
    if (inputs.length < a[0] || (a[1] >= 0 && inputs.length > a[1])) {
      String want = a[1] < 0 ? "at least " + a[0] : a[0] == a[1] ? "" + a[0] : a[0] + " to " + a[1];
      throw new KilnException(where + " has " + inputs.length + " inputs, expected " + want);
    }
  }

  static Mapped map(int code, Operator op, int[] in, int out, Tensors t, String where) {
    TensorType outType = t.type(out);
    return switch (code) {
      case CONV_2D -> {
        Conv2DOptions o = options(op, BuiltinOptions.Conv2DOptions, new Conv2DOptions(), where);
        required(o, where);
        Shape input = rank4(t, in[0], "input", where);
        Shape filter = rank4(t, in[1], "filter", where);
        Op.Pads pads = pads(o.padding(), o.strideH(), o.strideW(), o.dilationHFactor(),
            o.dilationWFactor(), input.dim(1), input.dim(2), filter.dim(1), filter.dim(2), where);
        yield new Mapped(new Op.Conv2D(o.strideH(), o.strideW(), o.dilationHFactor(),
            o.dilationWFactor(), pads, activation(o.fusedActivationFunction(), where)),
            slots(in, 3));
      }
      case DEPTHWISE_CONV_2D -> {
        DepthwiseConv2DOptions o = options(op, BuiltinOptions.DepthwiseConv2DOptions,
            new DepthwiseConv2DOptions(), where);
        required(o, where);
        Shape input = rank4(t, in[0], "input", where);
        Shape filter = rank4(t, in[1], "filter", where);
        Op.Pads pads = pads(o.padding(), o.strideH(), o.strideW(), o.dilationHFactor(),
            o.dilationWFactor(), input.dim(1), input.dim(2), filter.dim(1), filter.dim(2), where);
        yield new Mapped(new Op.DepthwiseConv2D(o.strideH(), o.strideW(), o.dilationHFactor(),
            o.dilationWFactor(), pads, o.depthMultiplier(),
            activation(o.fusedActivationFunction(), where)), slots(in, 3));
      }
      case FULLY_CONNECTED -> {
        FullyConnectedOptions o = options(op, BuiltinOptions.FullyConnectedOptions,
            new FullyConnectedOptions(), where);
        if (o != null && o.weightsFormat() != FullyConnectedOptionsWeightsFormat.DEFAULT) {
          throw new KilnException(where + ": shuffled fully-connected weights (weights_format "
              + o.weightsFormat() + ") are not supported");
        }
        Activation act = o == null ? Activation.NONE : activation(o.fusedActivationFunction(),
            where);
        yield new Mapped(new Op.FullyConnected(act, o != null && o.keepNumDims()), slots(in, 3));
      }
      case AVERAGE_POOL_2D, MAX_POOL_2D -> {
        Pool2DOptions o = options(op, BuiltinOptions.Pool2DOptions, new Pool2DOptions(), where);
        required(o, where);
        Shape input = rank4(t, in[0], "input", where);
        Op.Pads pads = pads(o.padding(), o.strideH(), o.strideW(), 1, 1, input.dim(1),
            input.dim(2), o.filterHeight(), o.filterWidth(), where);
        Activation act = activation(o.fusedActivationFunction(), where);
        Op p = code == AVERAGE_POOL_2D
            ? new Op.AveragePool2D(o.filterHeight(), o.filterWidth(), o.strideH(), o.strideW(),
                pads, act)
            : new Op.MaxPool2D(o.filterHeight(), o.filterWidth(), o.strideH(), o.strideW(), pads,
                act);
        yield new Mapped(p, slots(in, 1));
      }
      case ADD -> new Mapped(new Op.Add(elementwiseActivation(op, where)), slots(in, 2));
      case SUB -> new Mapped(new Op.Sub(elementwiseActivation(op, where)), slots(in, 2));
      case MUL -> new Mapped(new Op.Mul(elementwiseActivation(op, where)), slots(in, 2));
      case DIV -> new Mapped(new Op.Div(elementwiseActivation(op, where)), slots(in, 2));
      case MAXIMUM -> new Mapped(new Op.Maximum(), slots(in, 2));
      case MINIMUM -> new Mapped(new Op.Minimum(), slots(in, 2));
      case CAST -> new Mapped(new Op.Cast(), slots(in, 1));
      // The optional shape tensor is redundant: the output tensor's static shape is the new shape.
      case RESHAPE -> new Mapped(new Op.Reshape(outType.shape()), slots(in, 1));
      // Missing options leave TFLite's zero-initialized parameters (beta 0), as here.
      case SOFTMAX -> {
        SoftmaxOptions o = options(op, BuiltinOptions.SoftmaxOptions, new SoftmaxOptions(), where);
        yield new Mapped(new Op.Softmax(o == null ? 0.0f : o.beta()), slots(in, 1));
      }
      case QUANTIZE -> new Mapped(new Op.Quantize(), slots(in, 1));
      case DEQUANTIZE -> new Mapped(new Op.Dequantize(), slots(in, 1));
      case PAD, PADV2 -> {
        if (code == PADV2 && in.length > 2 && in[2] >= 0) {
          checkPadValue(t, in[2], outType, where);
        }
        yield new Mapped(pad(t, in[0], in[1], where), slots(in, 1));
      }
      case LEAKY_RELU -> {
        LeakyReluOptions o = options(op, BuiltinOptions.LeakyReluOptions, new LeakyReluOptions(),
            where);
        yield new Mapped(new Op.LeakyRelu(o == null ? 0.0f : o.alpha()), slots(in, 1));
      }
      case STRIDED_SLICE -> {
        StridedSliceOptions o = options(op, BuiltinOptions.StridedSliceOptions,
            new StridedSliceOptions(), where);
        int beginMask = o == null ? 0 : o.beginMask();
        int endMask = o == null ? 0 : o.endMask();
        int ellipsisMask = o == null ? 0 : o.ellipsisMask();
        int newAxisMask = o == null ? 0 : o.newAxisMask();
        int shrinkMask = o == null ? 0 : o.shrinkAxisMask();
        if (ellipsisMask != 0 || newAxisMask != 0) {
          throw new KilnException(where + ": ellipsis_mask " + ellipsisMask + " / new_axis_mask "
              + newAxisMask + " are not supported (only 0)");
        }
        List<Integer> begin = list(t.constInts(in[1], "begin"));
        List<Integer> end = list(t.constInts(in[2], "end"));
        List<Integer> strides = list(t.constInts(in[3], "strides"));
        yield new Mapped(new Op.StridedSlice(begin, end, strides, beginMask, endMask, ellipsisMask,
            newAxisMask, shrinkMask, o != null && o.offset()), slots(in, 1));
      }
      case TRANSPOSE_CONV -> {
        TransposeConvOptions o = options(op, BuiltinOptions.TransposeConvOptions,
            new TransposeConvOptions(), where);
        required(o, where);
        Shape filter = rank4(t, in[1], "filter", where);
        rank4(t, in[2], "input", where);
        Shape output = outType.shape();
        if (output.rank() != 4) {
          throw new KilnException(where + ": output has shape " + output + ", expected rank 4");
        }
        Op.Pads pads;
        try {
          pads = TflitePadding.forTransposeConv(o.padding(), o.strideH(), o.strideW(),
              output.dim(1), output.dim(2), filter.dim(1), filter.dim(2));
        } catch (KilnException e) {
          throw new KilnException(where + ": " + e.getMessage());
        }
        // TFLite orders the inputs (output_shape, weights, input, bias); the IR names its slots.
        int[] slots = new int[4];
        slots[Op.TransposeConv.INPUT] = in[2];
        slots[Op.TransposeConv.FILTER] = in[1];
        slots[Op.TransposeConv.BIAS] = in.length > 3 ? in[3] : -1;
        slots[Op.TransposeConv.OUTPUT_SHAPE] = in[0];
        yield new Mapped(new Op.TransposeConv(o.strideH(), o.strideW(), pads, output,
            activation(o.fusedActivationFunction(), where)), slots);
      }
      case CONCATENATION -> {
        ConcatenationOptions o = options(op, BuiltinOptions.ConcatenationOptions,
            new ConcatenationOptions(), where);
        int rank = t.type(in[0]).shape().rank();
        int axis = o == null ? 0 : o.axis();
        int normalized = axis < 0 ? axis + rank : axis;
        if (normalized < 0 || normalized >= rank) {
          throw new KilnException(where + ": axis " + axis + " out of range for rank " + rank);
        }
        Activation act = o == null ? Activation.NONE
            : activation(o.fusedActivationFunction(), where);
        yield new Mapped(new Op.Concatenation(normalized, act), in.clone());
      }
      case RELU -> new Mapped(new Op.Relu(), slots(in, 1));
      case RELU6 -> new Mapped(new Op.Relu6(), slots(in, 1));
      case LOGISTIC -> new Mapped(new Op.Logistic(), slots(in, 1));
      case TANH -> new Mapped(new Op.Tanh(), slots(in, 1));
      case MEAN -> {
        ReducerOptions o = options(op, BuiltinOptions.ReducerOptions, new ReducerOptions(), where);
        int rank = t.type(in[0]).shape().rank();
        TreeSet<Integer> axes = new TreeSet<>();
        for (int a : t.constInts(in[1], "axis")) {
          int n = a < 0 ? a + rank : a;
          if (n < 0 || n >= rank) {
            throw new KilnException(where + ": axis " + a + " out of range for rank " + rank);
          }
          axes.add(n);
        }
        yield new Mapped(new Op.Mean(new ArrayList<>(axes), o != null && o.keepDims()),
            slots(in, 1));
      }
      case TRANSPOSE -> new Mapped(new Op.Transpose(list(t.constInts(in[1], "perm"))),
          slots(in, 1));
      case HARD_SWISH -> {
        // The IR's float HardSwish follows ONNX's x * clip(x/6 + 1/2); TFLite's float kernel
        // rounds differently (x * clip(x + 3, 0, 6) / 6), so only 8-bit HARD_SWISH maps exactly.
        DType dt = t.type(in[0]).dtype();
        if (dt != DType.INT8 && dt != DType.UINT8) {
          throw new KilnException(where + ": HARD_SWISH on " + dt.shortName()
              + " is not supported (only int8 and uint8)");
        }
        yield new Mapped(new Op.HardSwish(), slots(in, 1));
      }
      // Both only relabel the dimensions: the output tensor's static shape is the new shape.
      case EXPAND_DIMS, SQUEEZE -> new Mapped(new Op.Reshape(outType.shape()), slots(in, 1));
      case PRELU -> new Mapped(new Op.PRelu(), slots(in, 2));
      case SVDF -> RecurrentOperators.svdf(op, in, t, where);
      case UNIDIRECTIONAL_SEQUENCE_LSTM -> RecurrentOperators.lstm(op, in, t, where);
      default -> TfliteIndexOps.map(code, op, in, out, t, where);
    };
  }

  /** PAD's paddings tensor is [rank, 2] of (before, after) pairs. */
  private static Op.Pad pad(Tensors t, int input, int paddings, String where) {
    int rank = t.type(input).shape().rank();
    Shape ps = t.type(paddings).shape();
    int[] p = t.constInts(paddings, "paddings");
    if (ps.rank() != 2 || ps.dim(0) != rank || ps.dim(1) != 2) {
      throw new KilnException(where + ": paddings have shape " + ps + ", expected [" + rank
          + ",2]");
    }
    List<Integer> before = new ArrayList<>();
    List<Integer> after = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      if (p[2 * i] < 0 || p[2 * i + 1] < 0) {
        throw new KilnException(where + ": negative padding " + Arrays.toString(p));
      }
      before.add(p[2 * i]);
      after.add(p[2 * i + 1]);
    }
    return new Op.Pad(before, after);
  }

  /** PADV2 maps onto Pad only when it pads with what Pad pads with: the zero point, or 0.0. */
  private static void checkPadValue(Tensors t, int valueTensor, TensorType out, String where) {
    double[] v = t.constValues(valueTensor, "constant_values");
    if (v.length != 1) {
      throw new KilnException(where + ": constant_values has " + v.length
          + " elements, expected 1");
    }
    double expected = out.quant() instanceof Quantization.PerTensor p ? p.zeroPoint() : 0.0;
    if (v[0] != expected) {
      throw new KilnException(where + ": padding with " + v[0] + " is not supported (only the"
          + " output zero point " + expected + ")");
    }
  }

  private static Op.Pads pads(byte padding, int strideH, int strideW, int dilationH,
      int dilationW, int inH, int inW, int filterH, int filterW, String where) {
    try {
      return TflitePadding.forWindow(padding, strideH, strideW, dilationH, dilationW, inH, inW,
          filterH, filterW);
    } catch (KilnException e) {
      throw new KilnException(where + ": " + e.getMessage());
    }
  }

  private static Activation elementwiseActivation(Operator op, String where) {
    // ADD, SUB and MUL options all start with fused_activation_function; read each by its type.
    return switch (op.builtinOptionsType()) {
      case BuiltinOptions.AddOptions -> activation(((org.tensorflow.lite.schema.AddOptions)
          op.builtinOptions(new org.tensorflow.lite.schema.AddOptions()))
          .fusedActivationFunction(), where);
      case BuiltinOptions.SubOptions -> activation(((org.tensorflow.lite.schema.SubOptions)
          op.builtinOptions(new org.tensorflow.lite.schema.SubOptions()))
          .fusedActivationFunction(), where);
      case BuiltinOptions.MulOptions -> activation(((org.tensorflow.lite.schema.MulOptions)
          op.builtinOptions(new org.tensorflow.lite.schema.MulOptions()))
          .fusedActivationFunction(), where);
      case BuiltinOptions.DivOptions -> activation(((org.tensorflow.lite.schema.DivOptions)
          op.builtinOptions(new org.tensorflow.lite.schema.DivOptions()))
          .fusedActivationFunction(), where);
      case BuiltinOptions.NONE -> Activation.NONE;
      default -> throw new KilnException(where + " has options of type "
          + optionsName(op.builtinOptionsType()));
    };
  }

  /** The operator's options table, or null when absent; a table of another type is an error. */
  @SuppressWarnings("unchecked")
  private static <T extends com.google.flatbuffers.Table> T options(Operator op, byte type,
      T table, String where) {
    byte actual = op.builtinOptionsType();
    if (actual == BuiltinOptions.NONE) {
      return null;
    }
    if (actual != type) {
      throw new KilnException(where + " has options of type " + optionsName(actual)
          + ", expected " + optionsName(type));
    }
    return (T) op.builtinOptions(table);
  }

  private static void required(Object options, String where) {
    if (options == null) {
      throw new KilnException(where + " has no options (strides, padding)");
    }
  }

  static String optionsName(byte type) {
    int i = type & 0xFF;
    return i < BuiltinOptions.names.length ? BuiltinOptions.names[i] : "#" + i;
  }

  static Activation activation(byte a, String where) {
    return switch (a) {
      case ActivationFunctionType.NONE -> Activation.NONE;
      case ActivationFunctionType.RELU -> Activation.RELU;
      case ActivationFunctionType.RELU_N1_TO_1 -> Activation.RELU_N1_TO_1;
      case ActivationFunctionType.RELU6 -> Activation.RELU6;
      case ActivationFunctionType.TANH -> Activation.TANH;
      case ActivationFunctionType.SIGN_BIT -> Activation.SIGN_BIT;
      default -> throw new KilnException(where + " has unknown fused activation " + a);
    };
  }

  private static Shape rank4(Tensors t, int tensor, String what, String where) {
    Shape s = t.type(tensor).shape();
    if (s.rank() != 4) {
      throw new KilnException(where + ": " + what + " has shape " + s + ", expected rank 4");
    }
    return s;
  }

  /** The first {@code n} inputs, padded with -1 (absent) when the file lists fewer. */
  private static int[] slots(int[] in, int n) {
    int[] s = new int[n];
    for (int i = 0; i < n; i++) {
      s[i] = i < in.length ? in[i] : -1;
    }
    return s;
  }

  private static List<Integer> list(int[] values) {
    return Arrays.stream(values).boxed().toList();
  }

  /** Dtypes of tensors the IR represents. */
  static DType dtype(byte type) {
    return switch (type) {
      case org.tensorflow.lite.schema.TensorType.FLOAT32 -> DType.FLOAT32;
      case org.tensorflow.lite.schema.TensorType.INT32 -> DType.INT32;
      case org.tensorflow.lite.schema.TensorType.UINT8 -> DType.UINT8;
      case org.tensorflow.lite.schema.TensorType.INT64 -> DType.INT64;
      case org.tensorflow.lite.schema.TensorType.BOOL -> DType.BOOL;
      case org.tensorflow.lite.schema.TensorType.INT16 -> DType.INT16;
      case org.tensorflow.lite.schema.TensorType.INT8 -> DType.INT8;
      case org.tensorflow.lite.schema.TensorType.UINT32 -> DType.UINT32;
      case org.tensorflow.lite.schema.TensorType.UINT64 -> DType.UINT64;
      default -> null;
    };
  }

  static String tensorTypeName(byte type) {
    int i = type & 0xFF;
    return i < org.tensorflow.lite.schema.TensorType.names.length
        ? org.tensorflow.lite.schema.TensorType.names[i] : "#" + i;
  }
}
