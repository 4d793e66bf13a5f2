package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.FixedPoint;

/**
 * Reference UNIDIRECTIONAL_SEQUENCE_LSTM kernel, following TFLM's {@code lstm_eval.h} step by
 * step: per batch row and time step, the forget, input and cell gates from the input and the
 * previous hidden state, the cell update, the output gate, then the hidden state, which is also
 * the step's output. int8 runs TFLM's 8x8->16 integer path (int16 gates in Q3.12 before and
 * Q0.15 after their activation, int16 cell state); float runs the float path. The hidden and
 * cell states are the kernel's own and persist across invocations until {@link #reset}.
 */
final class LstmKernel implements Kernel, Stateful {
  private static final int GATES = 4;
  /** float FullyConnected and Mul with no activation still clamp to the float range. */
  private static final ActivationRange.Floats NO_ACTIVATION =
      ActivationRange.Floats.of(Op.Activation.NONE, "LSTM");

  private final LstmParams p;
  private final Op.UnidirectionalLstm op;
  private final int[] hidden;
  private final int[] cell;
  private final float[] hiddenF;
  private final float[] cellF;

  private LstmKernel(LstmParams p, Op.UnidirectionalLstm op) {
    this.p = p;
    this.op = op;
    int n = p.batch() * p.units();
    hidden = p.isFloat() ? null : new int[n];
    cell = p.isFloat() ? null : new int[n];
    hiddenF = p.isFloat() ? new float[n] : null;
    cellF = p.isFloat() ? new float[n] : null;
    reset();
  }

  static Kernel prepare(Graph g, Node n, Op.UnidirectionalLstm op) {
    return new LstmKernel(LstmParams.of(g, n, op), op);
  }

  @Override
  public void reset() {
    if (hidden != null) {
      // TFLM resets an int8 variable to its zero point, the int16 cell state to zero.
      java.util.Arrays.fill(hidden, p.quant().hiddenZeroPoint());
      java.util.Arrays.fill(cell, 0);
    } else {
      java.util.Arrays.fill(hiddenF, 0f);
      java.util.Arrays.fill(cellF, 0f);
    }
  }

  @Override
  public long stateBytes() {
    return op.hiddenState().bytes() + op.cellState().bytes();
  }

  @Override
  public Tensor run(Tensor[] args) {
    Tensor out = Tensor.zeros(p.isFloat() ? DType.FLOAT32 : DType.INT8,
        io.kiln.ir.Shape.of(args[Op.UnidirectionalLstm.INPUT].shape.dim(0),
            args[Op.UnidirectionalLstm.INPUT].shape.dim(1), p.units()));
    for (int b = 0; b < p.batch(); b++) {
      for (int t = 0; t < p.time(); t++) {
        if (p.isFloat()) {
          stepFloat(args, b, t, out.floats);
        } else {
          stepInt(args, b, t, out.ints);
        }
      }
    }
    return out;
  }

  /** One integer step of batch row {@code b} at time {@code t}. */
  private void stepInt(Tensor[] args, int b, int t, int[] out) {
    LstmParams.Int q = p.quant();
    int u = p.units();
    int[] x = args[Op.UnidirectionalLstm.INPUT].ints;
    int xAt = p.row(b, t) * p.input();
    int hAt = b * u;
    int[][] gate = new int[GATES][u];
    for (int g = 0; g < GATES; g++) {
      int[] w = args[Op.UnidirectionalLstm.INPUT_WEIGHTS + g].ints;
      int[] r = args[Op.UnidirectionalLstm.RECURRENT_WEIGHTS + g].ints;
      int[] bias = args[Op.UnidirectionalLstm.BIAS + g].ints;
      for (int k = 0; k < u; k++) {
        int fromInput = fc(q.gateInput()[g], w, k, x, xAt, p.input(), bias[k]);
        int fromHidden = fc(q.gateRecurrent()[g], r, k, hidden, hAt, u, 0);
        int pre = saturate16(fromInput + fromHidden);
        gate[g][k] = g == Op.UnidirectionalLstm.GATE_CELL ? LstmParams.tanhInt16(3, 0, pre)
            : LstmParams.sigmoidQ312(pre);
      }
    }
    for (int k = 0; k < u; k++) {
      int c = cell[hAt + k];
      int kept = mul16(q.forgetTimesCell(), gate[Op.UnidirectionalLstm.GATE_FORGET][k], c);
      int added = mul16(q.inputTimesCellGate(), gate[Op.UnidirectionalLstm.GATE_INPUT][k],
          gate[Op.UnidirectionalLstm.GATE_CELL][k]);
      c = saturate16(kept + added);
      if (p.cellClip() > 0) {
        c = Math.max(Math.min(q.quantizedCellClip(), c), (short) -q.quantizedCellClip());
      }
      cell[hAt + k] = c;
    }
    for (int k = 0; k < u; k++) {
      int tanh = LstmParams.tanhInt16(q.tanhMultiplier(), q.tanhShift(), cell[hAt + k]);
      int v = FixedPoint.multiplyByQuantizedMultiplier(
          tanh * gate[Op.UnidirectionalLstm.GATE_OUTPUT][k], q.outputTimesTanh())
          + q.hiddenZeroPoint();
      hidden[hAt + k] = FixedPoint.clamp(v, Byte.MIN_VALUE, Byte.MAX_VALUE);
    }
    System.arraycopy(hidden, hAt, out, p.row(b, t) * u, u);
  }

  /**
   * reference_integer_ops::FullyConnected row {@code k} with an int16 output of zero point 0:
   * the int32 sum (which wraps as on hardware), plus bias, requantized and clamped.
   */
  private static int fc(LstmParams.Fc f, int[] w, int k, int[] x, int xAt, int depth,
      int bias) {
    int acc = 0;
    for (int d = 0; d < depth; d++) {
      acc += (w[k * depth + d] + f.weightsOffset()) * (x[xAt + d] + f.inputOffset());
    }
    acc += bias;
    return saturate16(FixedPoint.multiplyByQuantizedMultiplier(acc, f.scale()));
  }

  /** reference_integer_ops::MulElementwise of two symmetric int16 operands to int16. */
  private static int mul16(FixedPoint.QuantizedMultiplier m, int a, int b) {
    return saturate16(FixedPoint.multiplyByQuantizedMultiplier(a * b, m));
  }

  private static int saturate16(int v) {
    return FixedPoint.clamp(v, Short.MIN_VALUE, Short.MAX_VALUE);
  }

  /** One float step of batch row {@code b} at time {@code t}. */
  private void stepFloat(Tensor[] args, int b, int t, float[] out) {
    int u = p.units();
    float[] x = args[Op.UnidirectionalLstm.INPUT].floats;
    int xAt = p.row(b, t) * p.input();
    int hAt = b * u;
    float[][] gate = new float[GATES][u];
    for (int g = 0; g < GATES; g++) {
      float[] w = args[Op.UnidirectionalLstm.INPUT_WEIGHTS + g].floats;
      float[] r = args[Op.UnidirectionalLstm.RECURRENT_WEIGHTS + g].floats;
      float[] bias = args[Op.UnidirectionalLstm.BIAS + g].floats;
      for (int k = 0; k < u; k++) {
        float pre = fcFloat(w, k, x, xAt, p.input(), bias[k])
            + fcFloat(r, k, hiddenF, hAt, u, 0f);
        gate[g][k] = g == Op.UnidirectionalLstm.GATE_CELL ? (float) StrictMath.tanh(pre)
            : ActivationKernels.logisticFloat(pre);
      }
    }
    for (int k = 0; k < u; k++) {
      float kept = NO_ACTIVATION.clamp(gate[Op.UnidirectionalLstm.GATE_FORGET][k]
          * cellF[hAt + k]);
      float added = NO_ACTIVATION.clamp(gate[Op.UnidirectionalLstm.GATE_INPUT][k]
          * gate[Op.UnidirectionalLstm.GATE_CELL][k]);
      float c = kept + added;
      if (p.cellClip() > 0) {
        // std::max(std::min(clip, c), -clip), with the standard library's argument order.
        float lo = c < p.cellClip() ? c : p.cellClip();
        c = lo < -p.cellClip() ? -p.cellClip() : lo;
      }
      cellF[hAt + k] = c;
    }
    for (int k = 0; k < u; k++) {
      hiddenF[hAt + k] = NO_ACTIVATION.clamp((float) StrictMath.tanh(cellF[hAt + k])
          * gate[Op.UnidirectionalLstm.GATE_OUTPUT][k]);
    }
    System.arraycopy(hiddenF, hAt, out, p.row(b, t) * u, u);
  }

  /** reference_ops::FullyConnected row {@code k}: the dot product in order, plus the bias. */
  private static float fcFloat(float[] w, int k, float[] x, int xAt, int depth, float bias) {
    float total = 0f;
    for (int d = 0; d < depth; d++) {
      total += x[xAt + d] * w[k * depth + d];
    }
    return NO_ACTIVATION.clamp(total + bias);
  }
}
