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
import io.kiln.ir.Verifier;
import io.kiln.quant.FixedPoint;
import io.kiln.testing.SvdfGraphs;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The SVDF kernel against TFLM's documented arithmetic: hand-computed sequences whose state
 * carries from call to call, and seeded random layers against an oracle that keeps each
 * filter's memory as its own queue (TFLM shifts one flat array; both must agree).
 */
class SvdfKernelTest {

  /** One float SVDF: input 2, one filter of memory 3, bias 0.5. */
  private static Graph tinyFloat(Op.Activation act) {
    GraphBuilder b = new GraphBuilder("svdf_f32");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 2));
    int wf = b.constant("wf", TensorType.of(DType.FLOAT32, 1, 2),
        ConstData.ofFloats(new float[] {1, 2}));
    // Oldest step first: weights_time[j] weighs the step j places from the oldest.
    int wt = b.constant("wt", TensorType.of(DType.FLOAT32, 1, 3),
        ConstData.ofFloats(new float[] {0.5f, 0.25f, 1}));
    int bias = b.constant("bias", TensorType.of(DType.FLOAT32, 1),
        ConstData.ofFloats(new float[] {0.5f}));
    int y = b.apply(new Op.Svdf(1, act, TensorType.of(DType.FLOAT32, 1, 3)),
        List.of(x, wf, wt, bias), "y", DType.FLOAT32, Quantization.NONE);
    b.output(y);
    return b.build();
  }

  private static float runF(Interpreter in, float... x) {
    return in.run(List.of(Tensor.ofFloats(Shape.of(1, x.length), x))).get(0).floats[0];
  }

  @Test
  void floatStateIsAQueueOfFeatureProjections() {
    Interpreter in = new Interpreter(tinyFloat(Op.Activation.NONE));
    assertThat(runF(in, 1, 1)).isEqualTo(3.5f); // state [0, 0, 3]
    assertThat(runF(in, 2, 0)).isEqualTo(3.25f); // [0, 3, 2]: 0.75 + 2 + 0.5
    assertThat(runF(in, 0, -1)).isEqualTo(0.5f); // [3, 2, -2]: 1.5 + 0.5 - 2 + 0.5
    assertThat(runF(in, 0, 0)).isEqualTo(1.0f); // [2, -2, 0]: 1 - 0.5 + 0.5
    assertThat(in.stateBytes()).isEqualTo(3 * 4);
    in.reset();
    assertThat(runF(in, 1, 1)).isEqualTo(3.5f);
  }

  @Test
  void floatActivationClampsLikeTflm() {
    Interpreter in = new Interpreter(tinyFloat(Op.Activation.RELU_N1_TO_1));
    assertThat(runF(in, 1, 1)).isEqualTo(1.0f);
    assertThat(runF(in, -4, -4)).isEqualTo(-1.0f); // [0, 3, -12]: 0.75 - 12 + 0.5
    assertThatThrownBy(() -> new Interpreter(tinyFloat(Op.Activation.TANH)))
        .isInstanceOf(KilnException.class).hasMessageContaining("fused activation TANH");
  }

  /**
   * int8 SVDF whose stages are exact halvings: input scale 1 (zero point 1), feature weights 1,
   * int16 state scale 2 (so input * weights / state = 0.5), time weights 0.5 and output scale 4
   * (state * time / output = 0.25), bias scale 1, output zero point -2.
   */
  private static Graph tinyInt8(float biasScale) {
    GraphBuilder b = new GraphBuilder("svdf_i8");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 2), 1.0, 1));
    int wf = b.constant("wf", TensorType.quantized(DType.INT8, Shape.of(1, 2), 1.0, 0),
        ConstData.ofInts(DType.INT8, new int[] {1, 2}));
    int wt = b.constant("wt", TensorType.quantized(DType.INT16, Shape.of(1, 3), 0.5, 0),
        ConstData.ofInts(DType.INT16, new int[] {1, 2, 3}));
    int bias = b.constant("bias", TensorType.quantized(DType.INT32, Shape.of(1), biasScale, 0),
        ConstData.ofInts(DType.INT32, new int[] {4}));
    TensorType state = TensorType.quantized(DType.INT16, Shape.of(1, 3), 2.0, 0);
    int y = b.apply(new Op.Svdf(1, Op.Activation.NONE, state), List.of(x, wf, wt, bias), "y",
        DType.INT8, Quantization.perTensor(4.0, -2));
    b.output(y);
    return b.build();
  }

  private static int run1(Interpreter in, int a, int c) {
    return in.run(List.of(Tensor.ofInts(DType.INT8, Shape.of(1, 2), new int[] {a, c})))
        .get(0).ints[0];
  }

  @Test
  void int8StagesRoundAsTflmDoes() {
    Interpreter in = new Interpreter(tinyInt8(1.0f));
    // (5-1)*1 + (3-1)*2 = 8, halved: state [0, 0, 4]; 3*4 + bias 4 = 16, quartered, - 2.
    assertThat(run1(in, 5, 3)).isEqualTo(2);
    // 0 + 4*2 = 8 -> 4: state [0, 4, 4]; 2*4 + 3*4 + 4 = 24 -> 6 - 2.
    assertThat(run1(in, 1, 5)).isEqualTo(4);
    // -4 -> -2: state [4, 4, -2]; 4 + 8 - 6 + 4 = 10 -> 2.5 rounds away from zero to 3, - 2.
    assertThat(run1(in, -3, 1)).isEqualTo(1);
    // 127 - 1 + 2 * 126 = 378 -> 189: state [4, -2, 189]: 4 - 4 + 567 + 4 = 571 -> 142.75
    // rounds to 143, minus 2 gives 141, which saturates at 127.
    assertThat(run1(in, 127, 127)).isEqualTo(127);
    in.reset();
    assertThat(run1(in, 5, 3)).isEqualTo(2);
  }

  @Test
  void biasScaleMustBeStateTimesTimeWeightsScale() {
    assertThatThrownBy(() -> new Interpreter(tinyInt8(2.0f)))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("bias scale 2.0 is not state scale * weights_time scale (1.0)");
  }

  @Test
  void verifierRefusesMismatchedStateTypesAndShapes() {
    Graph g = tinyInt8(1.0f);
    Node n = g.nodes().get(0);
    Op.Svdf op = (Op.Svdf) n.op();
    Graph int8State = g.withNodes(List.of(n.withOp(new Op.Svdf(1, Op.Activation.NONE,
        TensorType.quantized(DType.INT8, Shape.of(1, 3), 2.0, 0)))));
    assertThatThrownBy(() -> Verifier.verify(int8State)).isInstanceOf(KilnException.class)
        .hasMessageContaining("weights_time and state both int16 or both int8");
    Graph wrongState = g.withNodes(List.of(n.withOp(new Op.Svdf(1, Op.Activation.NONE,
        op.state().withShape(Shape.of(1, 4))))));
    assertThatThrownBy(() -> Verifier.verify(wrongState)).isInstanceOf(KilnException.class)
        .hasMessageContaining("state [1,4] is not [1,3]");
    Graph relu = g.withNodes(List.of(n.withOp(new Op.Svdf(1, Op.Activation.RELU, op.state()))));
    assertThatThrownBy(() -> Verifier.verify(relu)).isInstanceOf(KilnException.class)
        .hasMessageContaining("does not apply");
    assertThatThrownBy(() -> new Op.Svdf(0, Op.Activation.NONE, op.state()))
        .isInstanceOf(KilnException.class).hasMessageContaining("rank 0");
  }

  @Test
  void randomLayersMatchThePerFilterQueueOracle() {
    SvdfGraphs.Dims[] shapes = {
      new SvdfGraphs.Dims(1, 7, 3, 1, 4),
      new SvdfGraphs.Dims(2, 10, 4, 2, 5),
      new SvdfGraphs.Dims(3, 5, 2, 3, 1),
    };
    long seed = 100;
    for (SvdfGraphs.Dims d : shapes) {
      for (DType st : new DType[] {DType.INT16, DType.INT8}) {
        for (boolean bias : new boolean[] {true, false}) {
          Graph g = SvdfGraphs.int8("svdf", seed++, d, st, bias);
          compareWithOracle(g, d, seed, 9);
        }
      }
      compareWithOracle(SvdfGraphs.float32("svdf_f", seed++, d, Op.Activation.RELU, true), d,
          seed, 9);
      compareWithOracle(SvdfGraphs.float32("svdf_f", seed++, d, Op.Activation.NONE, false), d,
          seed, 9);
    }
  }

  @Test
  void stateCarriesAcrossInvocationsUntilReset() {
    SvdfGraphs.Dims d = new SvdfGraphs.Dims(2, 6, 3, 2, 4);
    Graph g = SvdfGraphs.int8("svdf", 7, d, DType.INT8, true);
    Interpreter in = new Interpreter(g);
    assertThat(in.stateBytes()).isEqualTo(2L * 4 * 6);
    List<Tensor> sample = List.of(randomInput(g, new Random(3)));
    byte[] first = in.run(sample).get(0).toBytes();
    byte[] second = in.run(sample).get(0).toBytes();
    assertThat(second).as("the same input sees the memory of the first").isNotEqualTo(first);
    in.reset();
    assertThat(in.run(sample).get(0).toBytes()).isEqualTo(first);
    assertThat(new Interpreter(g).run(sample).get(0).toBytes()).isEqualTo(first);
  }

  private static Tensor randomInput(Graph g, Random rnd) {
    var v = g.inputValues().get(0);
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

  private static void compareWithOracle(Graph g, SvdfGraphs.Dims d, long seed, int steps) {
    Interpreter in = new Interpreter(g);
    Oracle oracle = new Oracle(g, d);
    Random rnd = new Random(seed);
    for (int s = 0; s < steps; s++) {
      Tensor x = randomInput(g, rnd);
      Tensor got = in.run(List.of(x)).get(0);
      if (x.dtype == DType.FLOAT32) {
        assertThat(got.floats).as("%s step %d", g.name(), s).containsExactly(oracle.step(x).floats);
      } else {
        int[] want = oracle.step(x).ints;
        assertThat(got.ints).as("%s step %d", g.name(), s).containsExactly(want);
        assertThat(Arrays.stream(want).distinct().count()).as("outputs spread").isGreaterThan(1);
      }
    }
  }

  /**
   * The textbook SVDF: every (batch, filter) keeps a queue of its last {@code memory} feature
   * projections, oldest first; the output sums each unit's {@code rank} filters' queues weighed
   * by weights_time. The integer stages use TFLM's requantization as documented.
   */
  private static final class Oracle {
    private final SvdfGraphs.Dims d;
    private final Graph g;
    private final List<ArrayDeque<Double>> queues = new ArrayList<>();
    private final boolean floats;
    /** The stages' real multipliers, in float arithmetic as TFLM's prepare computes them. */
    private final float realFeature;
    private final float realOutput;

    Oracle(Graph g, SvdfGraphs.Dims d) {
      this.g = g;
      this.d = d;
      Node n = g.nodes().get(0);
      Op.Svdf op = (Op.Svdf) n.op();
      floats = op.state().dtype() == DType.FLOAT32;
      double reset = floats || op.state().dtype() == DType.INT16 ? 0
          : op.state().quant().zeroPoint();
      for (int i = 0; i < d.batch() * d.filters(); i++) {
        ArrayDeque<Double> q = new ArrayDeque<>();
        for (int j = 0; j < d.memory(); j++) {
          q.add(reset);
        }
        queues.add(q);
      }
      if (floats) {
        realFeature = 0f;
        realOutput = 0f;
      } else {
        float ss = op.state().quant().scale();
        realFeature = g.input(n, Op.Svdf.INPUT).quant().scale()
            * g.input(n, Op.Svdf.WEIGHTS_FEATURE).quant().scale() / ss;
        realOutput = ss * g.input(n, Op.Svdf.WEIGHTS_TIME).quant().scale()
            / g.output(n).quant().scale();
      }
    }

    private Tensor constant(int slot) {
      return Tensor.fromConstant(g.input(g.nodes().get(0), slot));
    }

    Tensor step(Tensor x) {
      Node n = g.nodes().get(0);
      Op.Svdf op = (Op.Svdf) n.op();
      Tensor wf = constant(Op.Svdf.WEIGHTS_FEATURE);
      Tensor wt = constant(Op.Svdf.WEIGHTS_TIME);
      Tensor bias = n.hasInput(Op.Svdf.BIAS) ? constant(Op.Svdf.BIAS) : null;
      int inZp = floats ? 0 : (int) g.inputValues().get(0).quant().zeroPoint();
      int stZp = floats ? 0 : (int) op.state().quant().zeroPoint();
      var m1 = floats ? null : FixedPoint.quantizeMultiplier(realFeature);
      var m2 = floats ? null : FixedPoint.quantizeMultiplier(realOutput);
      int lim = op.state().dtype() == DType.INT16 ? 32767 : 127;
      for (int b = 0; b < d.batch(); b++) {
        for (int f = 0; f < d.filters(); f++) {
          double v;
          if (floats) {
            float dot = 0f;
            for (int c = 0; c < d.input(); c++) {
              dot += wf.floats[f * d.input() + c] * x.floats[b * d.input() + c];
            }
            v = dot;
          } else {
            int dot = 0;
            for (int c = 0; c < d.input(); c++) {
              dot += wf.ints[f * d.input() + c] * (x.ints[b * d.input() + c] - inZp);
            }
            int r = Math.max(-lim - 1, Math.min(lim,
                FixedPoint.multiplyByQuantizedMultiplier(dot, m1)));
            v = lim == 127 ? (byte) (r + stZp) : (short) (r + stZp);
          }
          ArrayDeque<Double> q = queues.get(b * d.filters() + f);
          q.removeFirst();
          q.addLast(v);
        }
      }
      Tensor out = Tensor.zeros(g.outputValues().get(0).dtype(), Shape.of(d.batch(), d.units()));
      for (int b = 0; b < d.batch(); b++) {
        for (int u = 0; u < d.units(); u++) {
          if (floats) {
            float acc = bias == null ? 0f : bias.floats[u];
            for (int k = 0; k < d.rank(); k++) {
              int f = u * d.rank() + k;
              float t = 0f;
              int j = 0;
              for (double s : queues.get(b * d.filters() + f)) {
                t += wt.floats[f * d.memory() + j++] * (float) s;
              }
              acc += t;
            }
            out.floats[b * d.units() + u] = op.act() == Op.Activation.RELU
                ? (acc > 0f ? acc : 0f) : acc;
          } else {
            int acc = bias == null ? 0 : bias.ints[u];
            for (int k = 0; k < d.rank(); k++) {
              int f = u * d.rank() + k;
              int j = 0;
              for (double s : queues.get(b * d.filters() + f)) {
                acc += wt.ints[f * d.memory() + j++] * ((int) s - stZp);
              }
            }
            int y = FixedPoint.multiplyByQuantizedMultiplier(acc, m2)
                + (int) g.outputValues().get(0).quant().zeroPoint();
            out.ints[b * d.units() + u] = Math.max(-128, Math.min(127, y));
          }
        }
      }
      return out;
    }
  }
}
