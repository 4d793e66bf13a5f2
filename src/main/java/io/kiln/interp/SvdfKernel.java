package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.OpState;
import io.kiln.ir.Shape;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.SvdfParams;

/**
 * Reference SVDF kernel, following TFLM's {@code svdf_common.cc} reference paths bit for bit:
 * the whole state shifts left by one element, each filter's newest step is the (requantized)
 * feature projection, then the time weighting, the rank reduction, the bias and the output
 * stage. The state is the kernel's own and persists across invocations until {@link #reset}.
 */
final class SvdfKernel implements Kernel, Stateful {
  private final SvdfParams p;
  private final OpState.Buffer stateBuffer;
  private final Op.Activation act;
  private final int[] intState;
  private final float[] floatState;

  private SvdfKernel(SvdfParams p, OpState.Buffer stateBuffer, Op.Activation act) {
    this.p = p;
    this.stateBuffer = stateBuffer;
    this.act = act;
    this.intState = p.isFloat() ? null : new int[p.stateElements()];
    this.floatState = p.isFloat() ? new float[p.stateElements()] : null;
    reset();
  }

  static Kernel prepare(Graph g, Node n, Op.Svdf op) {
    return new SvdfKernel(SvdfParams.of(g, n, op), OpState.of(g, n).get(0), op.act());
  }

  @Override
  public void reset() {
    if (intState != null) {
      // TFLM fills an int8 variable with its zero point and an int16 one with zeros.
      java.util.Arrays.fill(intState, stateBuffer.type().dtype() == DType.INT8
          ? (byte) stateBuffer.resetByte() : 0);
    } else {
      java.util.Arrays.fill(floatState, 0f);
    }
  }

  @Override
  public long stateBytes() {
    return stateBuffer.bytes();
  }

  @Override
  public Tensor run(Tensor[] args) {
    return intState != null ? runInt(args) : runFloat(args);
  }

  private Tensor runInt(Tensor[] args) {
    int[] x = args[Op.Svdf.INPUT].ints;
    int[] wf = args[Op.Svdf.WEIGHTS_FEATURE].ints;
    int[] wt = args[Op.Svdf.WEIGHTS_TIME].ints;
    Tensor bias = args.length > Op.Svdf.BIAS ? args[Op.Svdf.BIAS] : null;
    SvdfParams.Int q = p.quant();
    int[] s = intState;
    int m = p.memory();
    // The flat state shifts as one array: each row's oldest step takes the next row's, which
    // the feature stage below then overwrites.
    System.arraycopy(s, 1, s, 0, s.length - 1);
    boolean int16 = q.stateMax() == Short.MAX_VALUE;
    for (int b = 0; b < p.batch(); b++) {
      for (int r = 0; r < p.filters(); r++) {
        // Java's int arithmetic wraps like TFLM's int32 does on real hardware.
        int dot = 0;
        for (int c = 0; c < p.input(); c++) {
          dot += wf[r * p.input() + c] * (x[b * p.input() + c] - q.inputZp());
        }
        dot = FixedPoint.multiplyByQuantizedMultiplier(dot, q.feature());
        dot = FixedPoint.clamp(dot, q.stateMin(), q.stateMax());
        // The zero point is added after the clamp and the sum narrowed to the state's type.
        int v = q.stateZp() + dot;
        s[(b * p.filters() + r) * m + m - 1] = int16 ? (short) v : (byte) v;
      }
    }
    int[] out = new int[p.batch() * p.units()];
    for (int b = 0; b < p.batch(); b++) {
      for (int u = 0; u < p.units(); u++) {
        int acc = bias == null ? 0 : bias.ints[u];
        for (int k = 0; k < p.rank(); k++) {
          int f = u * p.rank() + k;
          int t = 0;
          for (int j = 0; j < m; j++) {
            t += wt[f * m + j] * (s[(b * p.filters() + f) * m + j] - q.stateZp());
          }
          acc += t;
        }
        int y = FixedPoint.multiplyByQuantizedMultiplier(acc, q.output()) + q.outputZp();
        out[b * p.units() + u] = FixedPoint.clamp(y, Byte.MIN_VALUE, Byte.MAX_VALUE);
      }
    }
    return Tensor.ofInts(DType.INT8, Shape.of(p.batch(), p.units()), out);
  }

  private Tensor runFloat(Tensor[] args) {
    float[] x = args[Op.Svdf.INPUT].floats;
    float[] wf = args[Op.Svdf.WEIGHTS_FEATURE].floats;
    float[] wt = args[Op.Svdf.WEIGHTS_TIME].floats;
    Tensor bias = args.length > Op.Svdf.BIAS ? args[Op.Svdf.BIAS] : null;
    float[] s = floatState;
    int m = p.memory();
    System.arraycopy(s, 1, s, 0, s.length - 1);
    for (int b = 0; b < p.batch(); b++) {
      for (int r = 0; r < p.filters(); r++) {
        float dot = 0f;
        for (int c = 0; c < p.input(); c++) {
          dot += wf[r * p.input() + c] * x[b * p.input() + c];
        }
        s[(b * p.filters() + r) * m + m - 1] = dot;
      }
    }
    // TFLM sums each filter's memory from zero, then starts the unit at its bias and adds the
    // rank filters' sums in order: the same order keeps the float rounding identical.
    float[] out = new float[p.batch() * p.units()];
    for (int b = 0; b < p.batch(); b++) {
      for (int u = 0; u < p.units(); u++) {
        float acc = bias == null ? 0f : bias.floats[u];
        for (int k = 0; k < p.rank(); k++) {
          int f = u * p.rank() + k;
          float t = 0f;
          for (int j = 0; j < m; j++) {
            t += wt[f * m + j] * s[(b * p.filters() + f) * m + j];
          }
          acc += t;
        }
        out[b * p.units() + u] = SvdfParams.floatActivation(act, acc, "SVDF");
      }
    }
    return Tensor.ofFloats(Shape.of(p.batch(), p.units()), out);
  }
}
