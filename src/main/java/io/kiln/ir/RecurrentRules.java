package io.kiln.ir;

import io.kiln.KilnException;
import java.util.List;

/**
 * Shapes and element types of the recurrent operators whose state is a TFLite variable tensor
 * ({@link Op.Svdf}, {@link Op.UnidirectionalLstm}), as TFLM's prepare functions check them;
 * used by {@link ShapeInference} and {@link Verifier}.
 */
final class RecurrentRules {
  private RecurrentRules() {}

  /** The SVDF dimensions read off its inputs. */
  record SvdfDims(int batch, int inputSize, int filters, int units, int memory) {}

  /** TFLM's {@code PrepareSvdf} shape checks; returns the dimensions. */
  static SvdfDims svdf(Op.Svdf op, List<TensorType> in) {
    Shape x = rank(op, in, Op.Svdf.INPUT, 2, "input");
    Shape wf = rank(op, in, Op.Svdf.WEIGHTS_FEATURE, 2, "weights_feature");
    Shape wt = rank(op, in, Op.Svdf.WEIGHTS_TIME, 2, "weights_time");
    int filters = wf.dim(0);
    if (filters % op.rank() != 0) {
      throw bad(op, filters + " filters are not a multiple of rank " + op.rank());
    }
    if (wf.dim(1) != x.dim(1)) {
      throw bad(op, "weights_feature " + wf + " do not match input " + x);
    }
    if (wt.dim(0) != filters || wt.dim(1) < 1) {
      throw bad(op, "weights_time " + wt + " are not [" + filters + ", memory]");
    }
    SvdfDims d = new SvdfDims(x.dim(0), x.dim(1), filters, filters / op.rank(), wt.dim(1));
    if (in.size() > Op.Svdf.BIAS && in.get(Op.Svdf.BIAS) != null) {
      Shape b = in.get(Op.Svdf.BIAS).shape();
      if (b.rank() != 1 || b.dim(0) != d.units()) {
        throw bad(op, "bias " + b + " is not [" + d.units() + "]");
      }
    }
    Shape s = op.state().shape();
    long stateColumns = (long) d.memory() * filters;
    if (stateColumns > Integer.MAX_VALUE) {
      throw bad(op, "memory " + d.memory() + " x " + filters + " filters is too large");
    }
    Shape want = Shape.of(d.batch(), (int) stateColumns);
    if (!s.equals(want)) {
      throw bad(op, "state " + s + " is not " + want + " (batch, memory * filters)");
    }
    return d;
  }

  static Shape svdfShape(Op.Svdf op, List<TensorType> in) {
    SvdfDims d = svdf(op, in);
    return Shape.of(d.batch(), d.units());
  }

  /**
   * TFLM's SVDF types: all float32, or int8 input, feature weights and output with int16 (or
   * int8) time weights and state of one type and an int32 bias.
   */
  static void svdfTypes(Op.Svdf op, List<TensorType> in, TensorType out, String where,
      List<String> p) {
    TensorType x = in.get(Op.Svdf.INPUT);
    TensorType wf = in.get(Op.Svdf.WEIGHTS_FEATURE);
    TensorType wt = in.get(Op.Svdf.WEIGHTS_TIME);
    TensorType bias = in.size() > Op.Svdf.BIAS ? in.get(Op.Svdf.BIAS) : null;
    TensorType state = op.state();
    if (x.dtype() == DType.FLOAT32) {
      for (TensorType t : new TensorType[] {wf, wt, bias, state, out}) {
        if (t != null && t.dtype() != DType.FLOAT32) {
          p.add(where + " float SVDF has a " + t.dtype().shortName() + t.shape() + " operand");
        }
      }
      return;
    }
    if (x.dtype() != DType.INT8 || wf.dtype() != DType.INT8 || out.dtype() != DType.INT8) {
      p.add(where + " integer SVDF needs int8 input, weights_feature and output, got "
          + x.dtype().shortName() + ", " + wf.dtype().shortName() + ", "
          + out.dtype().shortName());
      return;
    }
    if (wt.dtype() != DType.INT16 && wt.dtype() != DType.INT8 || state.dtype() != wt.dtype()) {
      p.add(where + " integer SVDF needs weights_time and state both int16 or both int8, got "
          + wt.dtype().shortName() + " and " + state.dtype().shortName());
    }
    if (bias != null && bias.dtype() != DType.INT32) {
      p.add(where + " integer SVDF bias is " + bias.dtype().shortName() + ", expected i32");
    }
    if (op.act() != Op.Activation.NONE) {
      p.add(where + " integer SVDF has fused activation " + op.act()
          + ", which TFLM's integer kernel does not apply");
    }
    for (TensorType t : new TensorType[] {x, wf, wt, state, out}) {
      if (!(t.quant() instanceof Quantization.PerTensor q) || !(q.scale() > 0)
          || !Float.isFinite(q.scale())) {
        p.add(where + " integer SVDF operand " + t.dtype().shortName() + t.shape()
            + " needs a per-tensor quantization with a positive finite scale");
      }
    }
  }

  /** The LSTM dimensions read off its input and state. */
  record LstmDims(int batch, int time, int input, int units) {}

  /** TFLM's {@code ValidateTensorSize} for UNIDIRECTIONAL_SEQUENCE_LSTM. */
  static LstmDims lstm(Op.UnidirectionalLstm op, List<TensorType> in) {
    Shape x = rank(op, in, Op.UnidirectionalLstm.INPUT, 3, "input");
    Shape h = op.hiddenState().shape();
    int batch = op.timeMajor() ? x.dim(1) : x.dim(0);
    if (h.rank() != 2 || h.dim(0) != batch) {
      throw bad(op, "hidden state " + h + " is not [" + batch + ", units]");
    }
    LstmDims d = new LstmDims(batch, op.timeMajor() ? x.dim(0) : x.dim(1), x.dim(2), h.dim(1));
    if (op.cellState().elements() != (long) batch * d.units()) {
      throw bad(op, "cell state " + op.cellState().shape() + " does not hold " + batch + " x "
          + d.units() + " values");
    }
    for (int g = 0; g < 4; g++) {
      expect(op, in, Op.UnidirectionalLstm.INPUT_WEIGHTS + g, Shape.of(d.units(), d.input()),
          "input weights of gate " + g);
      expect(op, in, Op.UnidirectionalLstm.RECURRENT_WEIGHTS + g,
          Shape.of(d.units(), d.units()), "recurrent weights of gate " + g);
      expect(op, in, Op.UnidirectionalLstm.BIAS + g, Shape.of(d.units()), "bias of gate " + g);
    }
    return d;
  }

  static Shape lstmShape(Op.UnidirectionalLstm op, List<TensorType> in) {
    Shape x = in.get(Op.UnidirectionalLstm.INPUT).shape();
    return Shape.of(x.dim(0), x.dim(1), lstm(op, in).units());
  }

  /**
   * TFLM's LSTM types: all float32, or int8 input, hidden state and output with int8 weights,
   * int32 biases and an int16 cell state; the cell gate's activation is tanh.
   */
  static void lstmTypes(Op.UnidirectionalLstm op, List<TensorType> in, TensorType out,
      String where, List<String> p) {
    if (op.cellActivation() != Op.Activation.TANH) {
      p.add(where + " cell activation " + op.cellActivation() + " is not supported (TFLM's LSTM"
          + " kernel takes TANH)");
    }
    TensorType x = in.get(Op.UnidirectionalLstm.INPUT);
    boolean floats = x.dtype() == DType.FLOAT32;
    DType act = floats ? DType.FLOAT32 : DType.INT8;
    DType weights = floats ? DType.FLOAT32 : DType.INT8;
    DType bias = floats ? DType.FLOAT32 : DType.INT32;
    DType cell = floats ? DType.FLOAT32 : DType.INT16;
    check(x, act, "input", where, p);
    check(out, act, "output", where, p);
    check(op.hiddenState(), act, "hidden state", where, p);
    check(op.cellState(), cell, "cell state", where, p);
    for (int g = 0; g < 4; g++) {
      check(in.get(Op.UnidirectionalLstm.INPUT_WEIGHTS + g), weights, "input weights", where, p);
      check(in.get(Op.UnidirectionalLstm.RECURRENT_WEIGHTS + g), weights, "recurrent weights",
          where, p);
      check(in.get(Op.UnidirectionalLstm.BIAS + g), bias, "bias", where, p);
    }
    if (floats) {
      return;
    }
    List<TensorType> scaled = new java.util.ArrayList<>(List.of(x, op.hiddenState(),
        op.cellState()));
    for (int g = 0; g < 8; g++) {
      scaled.add(in.get(Op.UnidirectionalLstm.INPUT_WEIGHTS + g));
    }
    for (TensorType t : scaled) {
      if (!(t.quant() instanceof Quantization.PerTensor q) || !(q.scale() > 0)
          || !Float.isFinite(q.scale())) {
        p.add(where + " integer LSTM operand " + t.dtype().shortName() + t.shape()
            + " needs a per-tensor quantization with a positive finite scale (TFLM's LSTM has"
            + " no per-channel weights)");
      }
    }
    if (op.cellState().quant() instanceof Quantization.PerTensor c && c.zeroPoint() != 0) {
      p.add(where + " int16 cell state has zero point " + c.zeroPoint() + ", expected 0");
    }
  }

  private static void check(TensorType t, DType want, String what, String where,
      List<String> p) {
    if (t != null && t.dtype() != want) {
      p.add(where + " " + what + " is " + t.dtype().shortName() + ", expected "
          + want.shortName());
    }
  }

  private static void expect(Op op, List<TensorType> in, int slot, Shape want, String what) {
    if (slot >= in.size() || in.get(slot) == null) {
      throw bad(op, "missing " + what);
    }
    if (!in.get(slot).shape().equals(want)) {
      throw bad(op, what + " " + in.get(slot).shape() + " is not " + want);
    }
  }

  private static Shape rank(Op op, List<TensorType> in, int slot, int rank, String what) {
    if (slot >= in.size() || in.get(slot) == null) {
      throw bad(op, "missing " + what);
    }
    Shape s = in.get(slot).shape();
    if (s.rank() != rank) {
      throw bad(op, what + " has shape " + s + ", expected rank " + rank);
    }
    return s;
  }

  private static KilnException bad(Op op, String why) {
    return new KilnException(op.opName() + ": " + why);
  }
}
