package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * An UNIDIRECTIONAL_SEQUENCE_LSTM layer prepared once, as TFLM's {@code lstm_eval_common.cc}
 * prepares it: its sizes and, for int8, each gate's two fully-connected stages onto the gate's
 * int16 Q3.12 input scale (2^-12), the three element-wise products of the Q0.15 gate outputs
 * (2^-15) onto the cell and hidden scales, the quantized cell clip and the int16 tanh's input
 * rescaling. The interpreter and code generation only read it.
 *
 * @param quant the integer stages, null for a float LSTM
 */
public record LstmParams(int batch, int time, int input, int units, boolean timeMajor,
    float cellClip, Int quant) {

  /** TFLM's fixed scale of every gate's pre-activation: Q3.12. */
  public static final float GATE_INPUT_SCALE = 0.000244140625f;
  /** TFLM's fixed scale of every gate's output: Q0.15. */
  public static final float GATE_OUTPUT_SCALE = 0.000030517578125f;

  /**
   * One fully-connected stage: {@code (w + weightsOffset) * (x + inputOffset)} summed in int32,
   * requantized by {@code scale} and clamped to int16.
   */
  public record Fc(int inputOffset, int weightsOffset, QuantizedMultiplier scale) {}

  /**
   * The integer stages; {@code gateInput[g]} and {@code gateRecurrent[g]} are gate {@code g}'s
   * (in {@link Op.UnidirectionalLstm}'s gate order). {@code tanhMultiplier} and
   * {@code tanhShift} rescale the cell state into the int16 tanh's input.
   */
  public record Int(Fc[] gateInput, Fc[] gateRecurrent, QuantizedMultiplier forgetTimesCell,
      QuantizedMultiplier inputTimesCellGate, QuantizedMultiplier outputTimesTanh,
      int hiddenZeroPoint, int quantizedCellClip, int tanhMultiplier, int tanhShift) {}

  public boolean isFloat() {
    return quant == null;
  }

  /** Offset of (batch b, step t) in rows of the input or output. */
  public int row(int b, int t) {
    return timeMajor ? t * batch + b : b * time + t;
  }

  public static LstmParams of(Graph g, Node n, Op.UnidirectionalLstm op) {
    Shape x = g.input(n, Op.UnidirectionalLstm.INPUT).shape();
    int batch = op.timeMajor() ? x.dim(1) : x.dim(0);
    int time = op.timeMajor() ? x.dim(0) : x.dim(1);
    int units = op.hiddenState().shape().dim(1);
    Int q = g.input(n, Op.UnidirectionalLstm.INPUT).dtype() == DType.FLOAT32 ? null
        : integer(g, n, op);
    return new LstmParams(batch, time, x.dim(2), units, op.timeMajor(), op.cellClip(), q);
  }

  private static Int integer(Graph g, Node n, Op.UnidirectionalLstm op) {
    String where = "UnidirectionalSequenceLstm '" + g.output(n).name() + "'";
    TensorType x = g.input(n, Op.UnidirectionalLstm.INPUT).type();
    TensorType h = op.hiddenState();
    float cellScale = op.cellState().quant().scale();
    Fc[] in = new Fc[4];
    Fc[] rec = new Fc[4];
    for (int gate = 0; gate < 4; gate++) {
      in[gate] = fc(x, g.input(n, Op.UnidirectionalLstm.INPUT_WEIGHTS + gate).type(), where);
      rec[gate] = fc(h, g.input(n, Op.UnidirectionalLstm.RECURRENT_WEIGHTS + gate).type(),
          where);
    }
    // TFLM's CreateLstmCellStateInfo: the clip in cell units, truncated to int16.
    double clip = Math.min(Math.max((double) op.cellClip() / (double) cellScale, -32768.0),
        32767.0);
    // TFLM's Tanh on the cell: (15 + log2(cell scale)) - 3 bits of left shift, a negative one
    // becoming a rounding right shift of the input times 3.
    int leftShift = 15 + ActivationKernels.checkedLog2(cellScale).rounded() - 3;
    int tanhMultiplier = leftShift < 0 ? 3 : 3 << leftShift;
    int tanhShift = leftShift < 0 ? -leftShift : 0;
    if (leftShift > 14 || tanhShift > 31) {
      throw new KilnException(where + ": cell state scale " + cellScale + " is outside what"
          + " the int16 tanh can take");
    }
    return new Int(in, rec,
        mul(GATE_OUTPUT_SCALE, cellScale, cellScale, where),
        mul(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, cellScale, where),
        mul(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, h.quant().scale(), where),
        (int) h.quant().zeroPoint(), (int) clip, tanhMultiplier, tanhShift);
  }

  /**
   * TFLM's {@code CreateGateParams}: the FullyConnected multiplier of
   * {@code GetQuantizedConvolutionMultipler}, whose scale product is taken in float.
   */
  private static Fc fc(TensorType x, TensorType w, String where) {
    double real = (double) (x.quant().scale() * w.quant().scale()) / (double) GATE_INPUT_SCALE;
    return new Fc((int) -x.quant().zeroPoint(), (int) -w.quant().zeroPoint(),
        checked(FixedPoint.quantizeMultiplier(real), real, where));
  }

  /** TFLM's {@code CreateInterGateMulParams}: the scale product in double. */
  private static QuantizedMultiplier mul(float a, float b, float out, String where) {
    double real = (double) a * (double) b / (double) out;
    return checked(FixedPoint.quantizeMultiplier(real), real, where);
  }

  private static QuantizedMultiplier checked(QuantizedMultiplier m, double real, String where) {
    if (m.shift() > 31 || m.shift() < -31) {
      throw new KilnException(where + ": effective scale " + real + " needs shift " + m.shift()
          + ", outside [-31, 31]");
    }
    return m;
  }

  /** The int16 sigmoid of a Q3.12 gate pre-activation (TFLM's LSTM calls it with no rescale). */
  public static int sigmoidQ312(int x) {
    return ActivationKernels.logisticInt16(new ActivationKernels.Int16Params(3, 0), x);
  }

  /** The int16 tanh with an input rescale of {@code (x * multiplier + round) >> shift}. */
  public static int tanhInt16(int multiplier, int shift, int x) {
    return ActivationKernels.tanhInt16(new ActivationKernels.Int16Params(multiplier, shift), x);
  }
}
