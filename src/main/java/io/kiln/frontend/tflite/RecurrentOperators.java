package io.kiln.frontend.tflite;

import io.kiln.KilnException;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.SVDFOptions;

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
}
