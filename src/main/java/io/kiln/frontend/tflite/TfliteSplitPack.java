package io.kiln.frontend.tflite;

import static org.tensorflow.lite.schema.BuiltinOperator.PACK;
import static org.tensorflow.lite.schema.BuiltinOperator.SPLIT;
import static org.tensorflow.lite.schema.BuiltinOperator.SPLIT_V;
import static org.tensorflow.lite.schema.BuiltinOperator.UNPACK;

import io.kiln.KilnException;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.PackOptions;
import org.tensorflow.lite.schema.SplitOptions;
import org.tensorflow.lite.schema.UnpackOptions;

/**
 * Lowers TFLite's PACK, UNPACK, SPLIT and SPLIT_V onto the IR's data movement: a pack is a
 * Concatenation of its inputs each reshaped to hold a unit axis, an unpack or split is one
 * StridedSlice per output. TFLM's kernels copy the values without rescaling them, so the lowering
 * requires every tensor to share the input's quantization and is then exact.
 */
final class TfliteSplitPack {
  private TfliteSplitPack() {}

  /** Where the lowering puts its nodes: the importer's graph under construction. */
  interface Sink {
    TensorType type(int tensor);

    int[] constInts(int tensor, String what);

    /** The value of TFLite tensor {@code tensor} read by input {@code slot}. */
    int operand(int tensor, int slot);

    /** Declares the value of the operator's output tensor {@code tensor}. */
    int output(int tensor);

    /** A value the lowering adds between two of its nodes, named after {@code tensor}. */
    int intermediate(int tensor, String suffix, TensorType type);

    void node(Op op, List<Integer> inputs, int output);
  }

  /** {min inputs, max inputs (-1 unbounded)} of each operator lowered here. */
  private static final Map<Integer, int[]> ARITY = Map.of(
      PACK, new int[] {1, -1}, UNPACK, new int[] {1, 1}, SPLIT, new int[] {2, 2},
      SPLIT_V, new int[] {3, 3});

  static boolean handles(int code) {
    return ARITY.containsKey(code);
  }

  static void lower(int code, Operator op, int[] in, int[] out, Sink s, String where) {
    int[] a = ARITY.get(code);
    if (in.length < a[0] || (a[1] >= 0 && in.length > a[1])) {
      throw new KilnException(where + " has " + in.length + " inputs, expected "
          + (a[1] < 0 ? "at least " + a[0] : a[0]));
    }
    switch (code) {
      case PACK -> pack(op, in, out, s, where);
      case UNPACK -> {
        UnpackOptions o = (UnpackOptions) options(op, BuiltinOptions.UnpackOptions,
            new UnpackOptions(), where);
        Shape shape = s.type(in[0]).shape();
        int axis = axis(o.axis(), shape.rank(), where);
        if (o.num() != shape.dim(axis) || out.length != shape.dim(axis)) {
          throw new KilnException(where + ": unpacks " + o.num() + " into " + out.length
              + " outputs along axis " + axis + " of " + shape);
        }
        slices(in[0], Collections.nCopies(out.length, 1), axis, true, out, s, where);
      }
      case SPLIT -> {
        SplitOptions o = (SplitOptions) options(op, BuiltinOptions.SplitOptions,
            new SplitOptions(), where);
        Shape shape = s.type(in[1]).shape();
        int axis = axis(scalar(s, in[0], where), shape.rank(), where);
        int n = o.numSplits();
        if (n <= 0 || out.length != n || shape.dim(axis) % n != 0) {
          throw new KilnException(where + ": cannot split " + shape + " along axis " + axis
              + " into " + n + " equal parts (" + out.length + " outputs)");
        }
        slices(in[1], Collections.nCopies(n, shape.dim(axis) / n), axis, false, out, s, where);
      }
      case SPLIT_V -> {
        // The options only repeat the number of outputs.
        Shape shape = s.type(in[0]).shape();
        int axis = axis(scalar(s, in[2], where), shape.rank(), where);
        slices(in[0], sizes(s.constInts(in[1], "size_splits"), shape.dim(axis), out.length,
            where), axis, false, out, s, where);
      }
      default -> throw new IllegalStateException("not lowered here: " + code);
    }
  }

  private static void pack(Operator op, int[] in, int[] out, Sink s, String where) {
    PackOptions o = (PackOptions) options(op, BuiltinOptions.PackOptions, new PackOptions(),
        where);
    if (out.length != 1 || o.valuesCount() != in.length) {
      throw new KilnException(where + " packs " + o.valuesCount() + " values but has "
          + in.length + " inputs and " + out.length + " outputs");
    }
    TensorType first = s.type(in[0]);
    int axis = axis(o.axis(), first.shape().rank() + 1, where);
    for (int t : in) {
      same(first, s.type(t), where);
    }
    same(first, s.type(out[0]), where);
    int[] dims = new int[first.shape().rank() + 1];
    for (int d = 0, k = 0; d < dims.length; d++) {
      dims[d] = d == axis ? 1 : first.shape().dim(k++);
    }
    Shape unit = Shape.of(dims);
    List<Integer> parts = new ArrayList<>();
    for (int i = 0; i < in.length; i++) {
      int part = s.intermediate(out[0], "/value" + i,
          new TensorType(first.dtype(), unit, first.quant()));
      s.node(new Op.Reshape(unit), List.of(s.operand(in[i], i)), part);
      parts.add(part);
    }
    s.node(new Op.Concatenation(axis, Op.Activation.NONE), parts, s.output(out[0]));
  }

  /** One StridedSlice per output, {@code sizes[k]} elements along {@code axis} each. */
  private static void slices(int input, List<Integer> sizes, int axis, boolean shrink,
      int[] out, Sink s, String where) {
    TensorType t = s.type(input);
    Shape shape = t.shape();
    int start = 0;
    for (int k = 0; k < out.length; k++) {
      same(t, s.type(out[k]), where);
      List<Integer> begin = new ArrayList<>();
      List<Integer> end = new ArrayList<>();
      for (int d = 0; d < shape.rank(); d++) {
        begin.add(d == axis ? start : 0);
        end.add(d == axis ? start + sizes.get(k) : shape.dim(d));
      }
      start += sizes.get(k);
      s.node(new Op.StridedSlice(begin, end, Collections.nCopies(shape.rank(), 1), 0, 0, 0, 0,
          shrink ? 1 << axis : 0, false), List.of(s.operand(input, 0)), s.output(out[k]));
    }
  }

  /** SPLIT_V's sizes; one of them may be -1, meaning what the others leave. */
  private static List<Integer> sizes(int[] given, int total, int outputs, String where) {
    if (given.length != outputs) {
      throw new KilnException(where + ": " + given.length + " split sizes for " + outputs
          + " outputs");
    }
    int unknown = -1;
    long known = 0;
    for (int i = 0; i < given.length; i++) {
      if (given[i] == -1 && unknown < 0) {
        unknown = i;
      } else if (given[i] < 0) {
        throw new KilnException(where + ": split size " + given[i] + " is negative");
      } else {
        known += given[i];
      }
    }
    List<Integer> sizes = new ArrayList<>();
    for (int g : given) {
      sizes.add(g);
    }
    if (unknown >= 0 && known <= total) {
      sizes.set(unknown, (int) (total - known));
      known = total;
    }
    if (known != total) {
      throw new KilnException(where + ": split sizes " + java.util.Arrays.toString(given)
          + " do not add up to the axis' " + total + " elements");
    }
    return sizes;
  }

  private static int scalar(Sink s, int tensor, String where) {
    int[] v = s.constInts(tensor, "axis");
    if (v.length != 1) {
      throw new KilnException(where + ": the axis tensor has " + v.length + " values, expected 1");
    }
    return v[0];
  }

  /** A possibly negative axis of a rank-{@code rank} tensor, made non-negative. */
  private static int axis(int axis, int rank, String where) {
    if (axis < -rank || axis >= rank) {
      throw new KilnException(where + ": axis " + axis + " is outside [" + -rank + ", " + rank
          + ")");
    }
    return axis < 0 ? axis + rank : axis;
  }

  /** TFLM copies values unchanged, so every tensor must mean them the same way. */
  private static void same(TensorType a, TensorType b, String where) {
    if (a.dtype() != b.dtype() || !a.quant().equals(b.quant())) {
      throw new KilnException(where + ": tensors of different types or quantization ("
          + a.dtype().shortName() + " " + a.quant() + " and " + b.dtype().shortName() + " "
          + b.quant() + "); TFLite Micro copies the values without rescaling");
    }
  }

  /** The operator's options, which these operators cannot do without. */
  private static com.google.flatbuffers.Table options(Operator op, byte type,
      com.google.flatbuffers.Table table, String where) {
    byte actual = op.builtinOptionsType();
    if (actual != type) {
      throw new KilnException(where + " has options of type "
          + TfliteOperators.optionsName(actual) + ", expected "
          + TfliteOperators.optionsName(type));
    }
    return op.builtinOptions(table);
  }
}
