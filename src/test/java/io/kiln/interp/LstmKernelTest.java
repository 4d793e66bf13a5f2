package io.kiln.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import io.kiln.testing.LstmGraphs;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The LSTM kernel against TFLM's documented arithmetic: hand-derived sequences whose cell state
 * carries from step to step (int8 with exact Q0.15 gates, float with exact gates), and seeded
 * random layers against a textbook LSTM in double (float exactly up to libm rounding, int8
 * within a few output steps), the time-major layout, and state kept across invocations.
 */
class LstmKernelTest {

  /**
   * One unit, one input, all weights zero: the gates are their biases. With input and weights
   * scales of 2^-6 each, a bias of b is a Q3.12 pre-activation of exactly b; 0 gives the
   * sigmoid gates 0.5 (16384 in Q0.15) and a saturated bias the cell gate tanh 32767.
   */
  private static Graph constantGates(DType dtype, int steps, float cellClip) {
    boolean f = dtype == DType.FLOAT32;
    GraphBuilder b = new GraphBuilder("lstm_const");
    int x = b.input("x", f ? TensorType.of(DType.FLOAT32, 1, steps, 1)
        : TensorType.quantized(DType.INT8, Shape.of(1, steps, 1), 1.0 / 64, 0));
    List<Integer> ins = new ArrayList<>(List.of(x));
    for (int k = 0; k < 8; k++) {
      ins.add(f ? b.constant("w" + k, TensorType.of(DType.FLOAT32, 1, 1),
          ConstData.ofFloats(new float[] {0f}))
          : b.constant("w" + k, TensorType.quantized(DType.INT8, Shape.of(1, 1), 1.0 / 64, 0),
              ConstData.ofInts(DType.INT8, new int[] {0})));
    }
    for (int g = 0; g < 4; g++) {
      boolean cellGate = g == Op.UnidirectionalLstm.GATE_CELL;
      ins.add(f ? b.constant("b" + g, TensorType.of(DType.FLOAT32, 1),
          ConstData.ofFloats(new float[] {cellGate ? 20f : 0f}))
          : b.constant("b" + g, TensorType.quantized(DType.INT32, Shape.of(1), 1.0 / 4096, 0),
              ConstData.ofInts(DType.INT32, new int[] {cellGate ? 40000 : 0})));
    }
    TensorType hidden = f ? TensorType.of(DType.FLOAT32, 1, 1)
        : TensorType.quantized(DType.INT8, Shape.of(1, 1), 1.0 / 128, 3);
    TensorType cell = f ? TensorType.of(DType.FLOAT32, 1, 1)
        : TensorType.quantized(DType.INT16, Shape.of(1, 1), 1.0 / 2048, 0);
    int y = b.apply(new Op.UnidirectionalLstm(Op.Activation.TANH, cellClip, false, hidden, cell),
        ins, "y", dtype, f ? Quantization.NONE : Quantization.perTensor(1.0 / 128, 3));
    b.output(y);
    return b.build();
  }

  @Test
  void int8CellStateHalvesTowardsTheCellGate() {
    Interpreter in = new Interpreter(constantGates(DType.INT8, 4, 0f));
    int[] h = in.run(List.of(Tensor.ofInts(DType.INT8, Shape.of(1, 4, 1), new int[4])))
        .get(0).ints;
    // c = 0.5 * c + 0.5 * 1 in cell units of 2^-11: the products 16384 * c * 2^-15 and
    // 16384 * 32767 * 2^-19 = 1023.97 (rounded to 1024) give 1024, 1536, 1792, 1920.
    int[] cells = {1024, 1536, 1792, 1920};
    for (int t = 0; t < 4; t++) {
      // tanh takes the cell at scale 2^-11 times 6 (Q3.12 with TFLite's factor 3); then
      // h = tanh * 0.5 in Q0.30, onto 2^-7 with zero point 3: tanh * 16384 * 2^-23 + 3.
      int tanh = LstmParams.tanhInt16(6, 0, cells[t]);
      int expected = (int) Math.round(tanh / 512.0) + 3;
      assertThat(h[t]).as("step %d", t).isEqualTo(expected);
    }
    assertThat(LstmParams.sigmoidQ312(0)).isEqualTo(16384);
    assertThat(LstmParams.tanhInt16(3, 0, 32767)).isEqualTo(32767);
    // The same from real arithmetic: round(64 * tanh(c)) + 3 for c = 0.5, 0.75, 0.875, 0.9375.
    assertThat(h).containsExactly(33, 44, 48, 50);
  }

  @Test
  void int8CellClipIsAppliedInCellUnits() {
    // A clip of 0.6 is 1228.8 cell units, truncated to 1228: the cell stops there.
    Interpreter in = new Interpreter(constantGates(DType.INT8, 3, 0.6f));
    int[] h = in.run(List.of(Tensor.ofInts(DType.INT8, Shape.of(1, 3, 1), new int[3])))
        .get(0).ints;
    int clipped = (int) Math.round(LstmParams.tanhInt16(6, 0, 1228) / 512.0) + 3;
    assertThat(h[0]).isEqualTo((int) Math.round(LstmParams.tanhInt16(6, 0, 1024) / 512.0) + 3);
    assertThat(h[1]).isEqualTo(clipped);
    assertThat(h[2]).isEqualTo(clipped);
  }

  @Test
  void floatCellStateHalvesTowardsTheCellGate() {
    Interpreter in = new Interpreter(constantGates(DType.FLOAT32, 3, 0f));
    float[] h = in.run(List.of(Tensor.ofFloats(Shape.of(1, 3, 1), new float[3]))).get(0).floats;
    float[] cells = {0.5f, 0.75f, 0.875f};
    for (int t = 0; t < 3; t++) {
      assertThat(h[t]).isEqualTo((float) StrictMath.tanh(cells[t]) * 0.5f);
    }
    // The state carries into the next invocation: the cell continues at 0.9375.
    float[] next = in.run(List.of(Tensor.ofFloats(Shape.of(1, 3, 1), new float[3]))).get(0)
        .floats;
    assertThat(next[0]).isEqualTo((float) StrictMath.tanh(0.9375f) * 0.5f);
    in.reset();
    assertThat(in.run(List.of(Tensor.ofFloats(Shape.of(1, 3, 1), new float[3]))).get(0).floats)
        .containsExactly(h);
  }

  @Test
  void randomFloatLayersMatchATextbookLstm() {
    long seed = 40;
    for (LstmGraphs.Dims d : List.of(new LstmGraphs.Dims(1, 5, 3, 4, false),
        new LstmGraphs.Dims(2, 4, 6, 3, false), new LstmGraphs.Dims(3, 3, 2, 5, true))) {
      for (float clip : new float[] {0f, 0.8f}) {
        Graph g = LstmGraphs.float32("lstm_f", seed++, d, clip);
        Interpreter in = new Interpreter(g);
        Textbook book = new Textbook(g, d, 1f, 0);
        Random rnd = new Random(seed);
        for (int call = 0; call < 3; call++) {
          Tensor x = random(g.inputValues().get(0), rnd);
          float[] got = in.run(List.of(x)).get(0).floats;
          double[] want = book.run(toReal(x, 1f, 0), clip);
          for (int i = 0; i < got.length; i++) {
            assertThat((double) got[i]).as("%s call %d element %d", d, call, i)
                .isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-5));
          }
        }
      }
    }
  }

  @Test
  void randomInt8LayersStayWithinAFewStepsOfATextbookLstm() {
    long seed = 60;
    for (LstmGraphs.Dims d : List.of(new LstmGraphs.Dims(1, 6, 5, 4, false),
        new LstmGraphs.Dims(2, 4, 8, 6, false), new LstmGraphs.Dims(2, 3, 4, 3, true))) {
      Graph g = LstmGraphs.int8("lstm_i8", seed++, d, 0f);
      Interpreter in = new Interpreter(g);
      Value xv = g.inputValues().get(0);
      int hzp = (int) g.outputValues().get(0).quant().zeroPoint();
      Textbook book = new Textbook(g, d, LstmGraphs.HIDDEN_SCALE, hzp);
      Random rnd = new Random(seed);
      int distinct = 0;
      for (int call = 0; call < 3; call++) {
        Tensor x = random(xv, rnd);
        int[] got = in.run(List.of(x)).get(0).ints;
        double[] want = book.run(toReal(x, xv.quant().scale(), (int) xv.quant().zeroPoint()),
            0f);
        for (int i = 0; i < got.length; i++) {
          double real = (got[i] - hzp) * LstmGraphs.HIDDEN_SCALE;
          assertThat(real).as("%s call %d element %d", d, call, i)
              .isCloseTo(want[i], org.assertj.core.data.Offset.offset(4.0 / 128));
        }
        distinct += (int) java.util.Arrays.stream(got).distinct().count();
      }
      assertThat(distinct).as("outputs spread").isGreaterThan(6);
    }
  }

  @Test
  void timeMajorIsTheSameLayerTransposed() {
    LstmGraphs.Dims bm = new LstmGraphs.Dims(2, 3, 4, 3, false);
    LstmGraphs.Dims tm = new LstmGraphs.Dims(2, 3, 4, 3, true);
    Graph a = LstmGraphs.int8("bm", 9, bm, 0f);
    Graph b = LstmGraphs.int8("tm", 9, tm, 0f);
    Tensor x = random(a.inputValues().get(0), new Random(1));
    int[] xt = new int[x.ints.length];
    for (int bb = 0; bb < 2; bb++) {
      for (int t = 0; t < 3; t++) {
        System.arraycopy(x.ints, (bb * 3 + t) * 4, xt, (t * 2 + bb) * 4, 4);
      }
    }
    int[] ya = new Interpreter(a).run(List.of(x)).get(0).ints;
    int[] yb = new Interpreter(b).run(List.of(Tensor.ofInts(DType.INT8, Shape.of(3, 2, 4), xt)))
        .get(0).ints;
    for (int bb = 0; bb < 2; bb++) {
      for (int t = 0; t < 3; t++) {
        for (int u = 0; u < 3; u++) {
          assertThat(yb[(t * 2 + bb) * 3 + u]).isEqualTo(ya[(bb * 3 + t) * 3 + u]);
        }
      }
    }
  }

  @Test
  void stateCarriesAcrossInvocationsUntilReset() {
    Graph g = LstmGraphs.int8("lstm", 3, new LstmGraphs.Dims(2, 2, 3, 4, false), 0f);
    Interpreter in = new Interpreter(g);
    assertThat(in.stateBytes()).isEqualTo(2 * 4 + 2 * 4 * 2);
    List<Tensor> sample = List.of(random(g.inputValues().get(0), new Random(2)));
    byte[] first = in.run(sample).get(0).toBytes();
    assertThat(in.run(sample).get(0).toBytes()).isNotEqualTo(first);
    in.reset();
    assertThat(in.run(sample).get(0).toBytes()).isEqualTo(first);
  }

  @Test
  void verifierRefusesWhatTflmsKernelRefuses() {
    Graph g = LstmGraphs.int8("lstm", 3, new LstmGraphs.Dims(1, 2, 3, 4, false), 0f);
    Node n = g.nodes().get(0);
    Op.UnidirectionalLstm op = (Op.UnidirectionalLstm) n.op();
    Graph relu = g.withNodes(List.of(n.withOp(new Op.UnidirectionalLstm(Op.Activation.RELU,
        0f, false, op.hiddenState(), op.cellState()))));
    assertThatThrownBy(() -> Verifier.verify(relu)).isInstanceOf(KilnException.class)
        .hasMessageContaining("cell activation RELU is not supported");
    Graph int8Cell = g.withNodes(List.of(n.withOp(new Op.UnidirectionalLstm(Op.Activation.TANH,
        0f, false, op.hiddenState(), op.hiddenState()))));
    assertThatThrownBy(() -> Verifier.verify(int8Cell)).isInstanceOf(KilnException.class)
        .hasMessageContaining("cell state is i8, expected i16");
    Graph wrongBatch = g.withNodes(List.of(n.withOp(new Op.UnidirectionalLstm(
        Op.Activation.TANH, 0f, true, op.hiddenState(), op.cellState()))));
    assertThatThrownBy(() -> Verifier.verify(wrongBatch)).isInstanceOf(KilnException.class)
        .hasMessageContaining("hidden state [1,4] is not [2, units]");
  }

  private static Tensor random(Value v, Random rnd) {
    if (v.dtype() == DType.FLOAT32) {
      float[] f = new float[v.type().elements()];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) rnd.nextGaussian();
      }
      return Tensor.ofFloats(v.shape(), f);
    }
    int[] q = new int[v.type().elements()];
    for (int i = 0; i < q.length; i++) {
      q[i] = rnd.nextInt(256) - 128;
    }
    return Tensor.ofInts(DType.INT8, v.shape(), q);
  }

  private static double[] toReal(Tensor x, float scale, int zp) {
    double[] r = new double[x.elements()];
    for (int i = 0; i < r.length; i++) {
      r[i] = x.dtype == DType.FLOAT32 ? x.floats[i] : (x.ints[i] - zp) * (double) scale;
    }
    return r;
  }

  /** The textbook LSTM in double on the weights' real values, state kept between calls. */
  private static final class Textbook {
    private final LstmGraphs.Dims d;
    private final double[][][] w = new double[4][][];
    private final double[][][] r = new double[4][][];
    private final double[][] bias = new double[4][];
    private final double[][] h;
    private final double[][] c;

    Textbook(Graph g, LstmGraphs.Dims d, float hiddenScale, int hiddenZp) {
      this.d = d;
      Node n = g.nodes().get(0);
      for (int gate = 0; gate < 4; gate++) {
        w[gate] = matrix(g.input(n, Op.UnidirectionalLstm.INPUT_WEIGHTS + gate), d.input());
        r[gate] = matrix(g.input(n, Op.UnidirectionalLstm.RECURRENT_WEIGHTS + gate), d.units());
        bias[gate] = matrix(g.input(n, Op.UnidirectionalLstm.BIAS + gate), d.units())[0];
      }
      h = new double[d.batch()][d.units()];
      c = new double[d.batch()][d.units()];
    }

    private static double[][] matrix(Value v, int cols) {
      Tensor t = Tensor.fromConstant(v);
      float s = v.quant().isQuantized() ? v.quant().scale() : 1f;
      int rows = t.elements() / cols;
      double[][] m = new double[rows][cols];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          int k = i * cols + j;
          m[i][j] = t.dtype == DType.FLOAT32 ? t.floats[k] : t.ints[k] * (double) s;
        }
      }
      return m;
    }

    private static double sigmoid(double v) {
      return 1 / (1 + Math.exp(-v));
    }

    double[] run(double[] x, float clip) {
      double[] out = new double[d.batch() * d.time() * d.units()];
      for (int b = 0; b < d.batch(); b++) {
        for (int t = 0; t < d.time(); t++) {
          int row = d.timeMajor() ? t * d.batch() + b : b * d.time() + t;
          double[][] gate = new double[4][d.units()];
          for (int g = 0; g < 4; g++) {
            for (int u = 0; u < d.units(); u++) {
              double pre = bias[g][u];
              for (int i = 0; i < d.input(); i++) {
                pre += w[g][u][i] * x[row * d.input() + i];
              }
              for (int j = 0; j < d.units(); j++) {
                pre += r[g][u][j] * h[b][j];
              }
              gate[g][u] = g == 2 ? Math.tanh(pre) : sigmoid(pre);
            }
          }
          for (int u = 0; u < d.units(); u++) {
            c[b][u] = gate[1][u] * c[b][u] + gate[0][u] * gate[2][u];
            if (clip > 0) {
              c[b][u] = Math.max(-clip, Math.min(clip, c[b][u]));
            }
            h[b][u] = gate[3][u] * Math.tanh(c[b][u]);
            out[row * d.units() + u] = h[b][u];
          }
        }
      }
      return out;
    }
  }
}
