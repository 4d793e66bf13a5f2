package io.kiln.quant;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * An SVDF layer prepared once (TFLM's {@code PrepareSvdf} and {@code OpDataSvdf}): its sizes and,
 * for int8, the two rescaling stages: input * weights_feature onto the state's scale, and state
 * * weights_time onto the output's. The interpreter and code generation only read it.
 *
 * @param quant the integer stages, null for a float SVDF
 */
public record SvdfParams(int batch, int input, int filters, int units, int rank, int memory,
    Int quant) {

  /** The integer stages and the state's range. */
  public record Int(int inputZp, int stateZp, int outputZp, QuantizedMultiplier feature,
      QuantizedMultiplier output, int stateMin, int stateMax) {}

  public boolean isFloat() {
    return quant == null;
  }

  /** Elements of the state: batch * filters * memory. */
  public int stateElements() {
    return batch * filters * memory;
  }

  public static SvdfParams of(Graph g, Node n, Op.Svdf op) {
    Shape x = g.input(n, Op.Svdf.INPUT).shape();
    Shape wf = g.input(n, Op.Svdf.WEIGHTS_FEATURE).shape();
    Shape wt = g.input(n, Op.Svdf.WEIGHTS_TIME).shape();
    String where = "SVDF '" + g.output(n).name() + "'";
    Int q = null;
    if (g.input(n, Op.Svdf.INPUT).dtype() == DType.FLOAT32) {
      floatActivation(op.act(), 0f, where); // refuses what TFLM's float kernel would not do
    } else {
      q = integer(g, n, op, where);
    }
    return new SvdfParams(x.dim(0), x.dim(1), wf.dim(0), wf.dim(0) / op.rank(), op.rank(),
        wt.dim(1), q);
  }

  /** TFLM's int8 prepare: the effective scales are computed in float, then widened. */
  private static Int integer(Graph g, Node n, Op.Svdf op, String where) {
    TensorType in = g.input(n, Op.Svdf.INPUT).type();
    TensorType wf = g.input(n, Op.Svdf.WEIGHTS_FEATURE).type();
    TensorType wt = g.input(n, Op.Svdf.WEIGHTS_TIME).type();
    TensorType out = g.output(n).type();
    TensorType state = op.state();
    float stateScale = state.quant().scale();
    float wtScale = wt.quant().scale();
    double scale1 = (double) (in.quant().scale() * wf.quant().scale() / stateScale);
    double scale2 = (double) (stateScale * wtScale / out.quant().scale());
    if (n.hasInput(Op.Svdf.BIAS)) {
      var bq = g.input(n, Op.Svdf.BIAS).quant();
      float biasScale = bq.isQuantized() ? bq.scaleAt(0) : 0f;
      if (!(Math.abs((double) biasScale - (double) (stateScale * wtScale)) < 1e-5)) {
        throw new KilnException(where + ": bias scale " + biasScale + " is not state scale *"
            + " weights_time scale (" + stateScale * wtScale + "), which TFLM requires");
      }
    }
    boolean int16 = state.dtype() == DType.INT16;
    return new Int((int) in.quant().zeroPoint(), (int) state.quant().zeroPoint(),
        (int) out.quant().zeroPoint(),
        multiplier(scale1, "input * weights_feature / state", where),
        multiplier(scale2, "state * weights_time / output", where),
        int16 ? Short.MIN_VALUE : Byte.MIN_VALUE, int16 ? Short.MAX_VALUE : Byte.MAX_VALUE);
  }

  private static QuantizedMultiplier multiplier(double real, String what, String where) {
    QuantizedMultiplier m = FixedPoint.quantizeMultiplier(real);
    if (m.shift() > 31 || m.shift() < -31) {
      throw new KilnException(where + ": effective scale " + what + " = " + real
          + " needs shift " + m.shift() + ", outside [-31, 31]");
    }
    return m;
  }

  /**
   * TFLM's {@code ActivationValFloat} for the clamping activations, with {@code std::max}'s and
   * {@code std::min}'s argument order (so NaN and -0.0 come out as in C++); tanh and sign bit
   * are refused.
   */
  public static float floatActivation(Op.Activation act, float a, String where) {
    return switch (act) {
      case NONE -> a;
      case RELU -> 0f < a ? a : 0f;
      case RELU6 -> {
        float lo = 6f < a ? 6f : a;
        yield 0f < lo ? lo : 0f;
      }
      case RELU_N1_TO_1 -> {
        float lo = 1f < a ? 1f : a;
        yield -1f < lo ? lo : -1f;
      }
      case TANH, SIGN_BIT -> throw new KilnException(where + ": fused activation " + act
          + " is not supported");
    };
  }
}
