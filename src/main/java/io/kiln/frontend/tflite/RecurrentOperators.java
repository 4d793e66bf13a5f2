package io.kiln.frontend.tflite;

import io.kiln.KilnException;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.SVDFOptions;
import org.tensorflow.lite.schema.UnidirectionalSequenceLSTMOptions;

/**
 * Maps TFLite's recurrent operators, whose state is a variable tensor ({@code is_variable}), onto
 * IR operators that own that state: the variable tensor's type becomes an attribute of the
 * operator and no IR value stands for it (see {@link io.kiln.ir.OpState}).
 */
final class RecurrentOperators {
  private RecurrentOperators() {}

  /** TFLite SVDF inputs: input, weights_feature, weights_time, bias (optional), state. */
  private static final int SVDF_STATE = 4;

  static TfliteOperators.Mapped svdf(Operator op, int[] in, TfliteOperators.Tensors t,
      String where) {
    SVDFOptions o = op.builtinOptionsType() == BuiltinOptions.SVDFOptions
        ? (SVDFOptions) op.builtinOptions(new SVDFOptions()) : null;
    if (o == null) {
      throw new KilnException(where + " has no SVDFOptions (rank)");
    }
    if (o.asymmetricQuantizeInputs()) {
      throw new KilnException(where + ": asymmetric_quantize_inputs (hybrid SVDF) is not"
          + " supported");
    }
    if (o.rank() < 1) {
      throw new KilnException(where + ": rank " + o.rank() + " is not positive");
    }
    TensorType state = t.variable(in[SVDF_STATE], "activation_state", where);
    Op.Activation act = TfliteOperators.activation(o.fusedActivationFunction(), where);
    if (t.type(in[0]).dtype().isInteger()) {
      // TFLM's integer kernel ends with the int8 clamp and applies no fused activation.
      act = Op.Activation.NONE;
    }
    int[] slots = {in[0], in[1], in[2], in[3]};
    return new TfliteOperators.Mapped(new Op.Svdf(o.rank(), act, state), slots);
  }

  /** TFLite LSTM inputs: the state tensors and the variants' tensors TFLM does not support. */
  private static final int LSTM_HIDDEN_STATE = 18;
  private static final int LSTM_CELL_STATE = 19;
  private static final int[] LSTM_PEEPHOLES = {9, 10, 11};
  private static final int[] LSTM_PROJECTION = {16, 17};
  private static final int[] LSTM_LAYER_NORM = {20, 21, 22, 23};
  /** First TFLite input of the gate biases. */
  private static final int LSTM_BIASES = 12;

  static TfliteOperators.Mapped lstm(Operator op, int[] in, TfliteOperators.Tensors t,
      String where) {
    UnidirectionalSequenceLSTMOptions o =
        op.builtinOptionsType() == BuiltinOptions.UnidirectionalSequenceLSTMOptions
        ? (UnidirectionalSequenceLSTMOptions) op.builtinOptions(
            new UnidirectionalSequenceLSTMOptions()) : null;
    if (o == null) {
      throw new KilnException(where + " has no UnidirectionalSequenceLSTMOptions");
    }
    if (o.asymmetricQuantizeInputs()) {
      throw new KilnException(where + ": asymmetric_quantize_inputs (hybrid LSTM) is not"
          + " supported");
    }
    if (o.diagonalRecurrentTensors()) {
      throw new KilnException(where + ": diagonal recurrent tensors are not supported");
    }
    absent(in, LSTM_PEEPHOLES, "peephole weights", where);
    absent(in, LSTM_PROJECTION, "a projection", where);
    absent(in, LSTM_LAYER_NORM, "layer normalization", where);
    if (in[1] < 0 || in[5] < 0 || in[LSTM_BIASES] < 0) {
      throw new KilnException(where + ": a coupled input and forget gate (CIFG, no input gate)"
          + " is not supported; TFLM's LSTM kernel needs the input gate");
    }
    Op.Activation act = TfliteOperators.activation(o.fusedActivationFunction(), where);
    if (!(o.cellClip() >= 0) || !Float.isFinite(o.cellClip())) {
      throw new KilnException(where + ": cell_clip " + o.cellClip() + " is not a finite value"
          + " >= 0");
    }
    TensorType hidden = t.variable(in[LSTM_HIDDEN_STATE], "output_state", where);
    TensorType cell = t.variable(in[LSTM_CELL_STATE], "cell_state", where);
    int[] slots = new int[13];
    slots[Op.UnidirectionalLstm.INPUT] = in[0];
    for (int g = 0; g < 4; g++) {
      slots[Op.UnidirectionalLstm.INPUT_WEIGHTS + g] = in[1 + g];
      slots[Op.UnidirectionalLstm.RECURRENT_WEIGHTS + g] = in[5 + g];
      slots[Op.UnidirectionalLstm.BIAS + g] = in[LSTM_BIASES + g];
    }
    return new TfliteOperators.Mapped(new Op.UnidirectionalLstm(act, o.cellClip(),
        o.timeMajor(), hidden, cell), slots);
  }

  private static void absent(int[] in, int[] slots, String what, String where) {
    for (int s : slots) {
      if (in[s] >= 0) {
        throw new KilnException(where + ": " + what + " (input " + s + ") are not supported,"
            + " as in TFLM's LSTM kernel");
      }
    }
  }
}
