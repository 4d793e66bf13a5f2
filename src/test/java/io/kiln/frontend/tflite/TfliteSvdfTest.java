package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.cli.Main;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.testing.SvdfGraphs;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.SVDFOptions;

/**
 * TFLite SVDF import: the variable state tensor becomes the operator's own state, the imported
 * layer computes what the hand-built one does, {@code kiln run --batch N} carries the state from
 * sample to sample (a batch of 2 differs from two batches of 1 exactly in the second sample),
 * and malformed state tensors are one clear error.
 */
class TfliteSvdfTest {
  @TempDir
  Path tmp;

  private static final SvdfGraphs.Dims DIMS = new SvdfGraphs.Dims(1, 8, 3, 2, 4);

  private static byte type(DType t) {
    return switch (t) {
      case INT8 -> org.tensorflow.lite.schema.TensorType.INT8;
      case INT16 -> org.tensorflow.lite.schema.TensorType.INT16;
      case INT32 -> org.tensorflow.lite.schema.TensorType.INT32;
      case FLOAT32 -> org.tensorflow.lite.schema.TensorType.FLOAT32;
      default -> throw new IllegalArgumentException(t.toString());
    };
  }

  private static float scale(TensorType t) {
    return t.quant().isQuantized() ? t.quant().scale() : 0f;
  }

  private static long zp(TensorType t) {
    return t.quant().isQuantized() ? t.quant().zeroPoint() : 0;
  }

  /** What a model builder adds to the file besides the SVDF (a tensor or an operator). */
  private interface Extra {
    void add(TinyTflite f, int state, int input);
  }

  /** Writes a hand-built single-SVDF graph as a .tflite file, state as a variable tensor. */
  static byte[] write(Graph g, boolean variable, int act, Extra extra) {
    TinyTflite f = new TinyTflite();
    Node n = g.nodes().get(0);
    Op.Svdf op = (Op.Svdf) n.op();
    Value x = g.inputValues().get(0);
    int in = f.tensor("x", type(x.dtype()), x.shape().dims(), scale(x.type()), zp(x.type()));
    int[] consts = new int[3];
    int[] slots = {Op.Svdf.WEIGHTS_FEATURE, Op.Svdf.WEIGHTS_TIME, Op.Svdf.BIAS};
    for (int i = 0; i < 3; i++) {
      if (!n.hasInput(slots[i])) {
        consts[i] = -1;
        continue;
      }
      Value v = g.input(n, slots[i]);
      consts[i] = f.constant(v.name(), type(v.dtype()), v.shape().dims(), scale(v.type()),
          zp(v.type()), v.data().bytes());
    }
    TensorType st = op.state();
    int state = variable
        ? f.variable("state", type(st.dtype()), st.shape().dims(), scale(st), zp(st))
        : f.tensor("state", type(st.dtype()), st.shape().dims(), scale(st), zp(st));
    Value y = g.outputValues().get(0);
    int out = f.tensor("y", type(y.dtype()), y.shape().dims(), scale(y.type()), zp(y.type()));
    f.op(BuiltinOperator.SVDF, new int[] {in, consts[0], consts[1], consts[2], state},
        new int[] {out}, BuiltinOptions.SVDFOptions,
        b -> SVDFOptions.createSVDFOptions(b, op.rank(), (byte) act, false));
    int[] outs = {out};
    if (extra != null) {
      extra.add(f, state, in);
    }
    return f.io(new int[] {in}, outs).build();
  }

  private static Graph int8Graph() {
    return SvdfGraphs.int8("svdf", 21, DIMS, DType.INT16, true);
  }

  @Test
  void importsTheStateAsTheOperatorsOwnAndComputesTheSameLayer() {
    for (Graph g : List.of(int8Graph(),
        SvdfGraphs.int8("svdf8", 22, DIMS, DType.INT8, false),
        SvdfGraphs.float32("svdff", 23, DIMS, Op.Activation.RELU, true))) {
      int act = g.inputValues().get(0).dtype() == DType.FLOAT32 ? ActivationFunctionType.RELU
          : ActivationFunctionType.NONE;
      Graph imported = TfliteImporter.load(write(g, true, act, null), "m");
      assertThat(imported.nodes()).hasSize(1);
      Op.Svdf op = (Op.Svdf) imported.nodes().get(0).op();
      assertThat(op).isEqualTo(g.nodes().get(0).op());
      assertThat(imported.values()).noneMatch(v -> v.name().equals("state"));
      Interpreter a = new Interpreter(g);
      Interpreter b = new Interpreter(imported);
      Random rnd = new Random(5);
      for (int s = 0; s < 6; s++) {
        Tensor x = random(g.inputValues().get(0), rnd);
        assertThat(b.run(List.of(x)).get(0).toBytes()).isEqualTo(a.run(List.of(x)).get(0)
            .toBytes());
      }
    }
  }

  @Test
  void theTextFormPrintsTheStateAsAType() {
    Graph imported = TfliteImporter.load(write(int8Graph(), true, ActivationFunctionType.NONE,
        null), "m");
    assertThat(io.kiln.ir.GraphPrinter.print(imported))
        .containsPattern("= Svdf\\(%0, %1, %2, %3\\) \\{rank=2, act=NONE, state=i16\\[1,24\\] q\\(");
  }

  @Test
  void integerSvdfDropsTheFusedActivationAsTflmDoes() {
    Graph imported = TfliteImporter.load(write(int8Graph(), true, ActivationFunctionType.RELU,
        null), "m");
    assertThat(((Op.Svdf) imported.nodes().get(0).op()).act()).isEqualTo(Op.Activation.NONE);
  }

  @Test
  void runBatchCarriesTheStateFromSampleToSample() throws Exception {
    Graph g = int8Graph();
    Path model = tmp.resolve("svdf.tflite");
    Files.write(model, write(g, true, ActivationFunctionType.NONE, null));
    byte[] samples = new byte[2 * DIMS.input()];
    new Random(9).nextBytes(samples);
    Path both = tmp.resolve("both.bin");
    Path first = tmp.resolve("first.bin");
    Path second = tmp.resolve("second.bin");
    Files.write(both, samples);
    Files.write(first, Arrays.copyOfRange(samples, 0, DIMS.input()));
    Files.write(second, Arrays.copyOfRange(samples, DIMS.input(), samples.length));
    byte[] batch2 = run(model, both, 2, "b2");
    byte[] alone1 = run(model, first, 1, "a1");
    byte[] alone2 = run(model, second, 1, "a2");
    int units = DIMS.units();
    assertThat(Arrays.copyOfRange(batch2, 0, units)).isEqualTo(alone1);
    assertThat(Arrays.copyOfRange(batch2, units, 2 * units))
        .as("the second sample of a batch sees the first one's state")
        .isNotEqualTo(alone2);
    // Exactly what one interpreter gives running the two samples in order.
    Interpreter in = new Interpreter(g);
    ByteArrayOutputStream want = new ByteArrayOutputStream();
    for (int s = 0; s < 2; s++) {
      Value x = g.inputValues().get(0);
      want.writeBytes(in.run(List.of(Tensor.fromBytes(x.dtype(), x.shape(),
          Arrays.copyOfRange(samples, s * DIMS.input(), (s + 1) * DIMS.input())))).get(0)
          .toBytes());
    }
    assertThat(batch2).isEqualTo(want.toByteArray());
  }

  private byte[] run(Path model, Path input, int batch, String dir) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "run",
        model.toString(), "--input", input.toString(), "--batch", Integer.toString(batch),
        "--output-dir", tmp.resolve(dir).toString());
    assertThat(code).as(err.toString()).isZero();
    return Files.readAllBytes(tmp.resolve(dir).resolve("output0.bin"));
  }

  @Test
  void aStateThatIsNotAVariableIsRefused() {
    assertThatThrownBy(() -> TfliteImporter.load(write(int8Graph(), false,
        ActivationFunctionType.NONE, null), "m")).isInstanceOf(KilnException.class)
        .hasMessageContaining("activation_state tensor 4 'state' is not a variable tensor");
  }

  @Test
  void aVariableReadByAnotherOperatorIsRefused() {
    byte[] file = write(int8Graph(), true, ActivationFunctionType.NONE, (f, state, in) -> {
      int sum = f.tensor("sum", org.tensorflow.lite.schema.TensorType.INT16, new int[] {1, 24},
          0.01f, 0);
      f.op(BuiltinOperator.ADD, new int[] {state, state}, new int[] {sum});
    });
    assertThatThrownBy(() -> TfliteImporter.load(file, "m")).isInstanceOf(KilnException.class)
        .hasMessageContaining("reads variable tensor 4 'state'")
        .hasMessageContaining("only as the state of SVDF");
  }

  @Test
  void aVariableSharedByTwoSvdfsIsRefused() {
    Graph g = int8Graph();
    Node n = g.nodes().get(0);
    byte[] file = write(g, true, ActivationFunctionType.NONE, (f, state, in) -> {
      int y2 = f.tensor("y2", org.tensorflow.lite.schema.TensorType.INT8, new int[] {1, 3},
          0.1f, 0);
      f.op(BuiltinOperator.SVDF, new int[] {in, 1, 2, 3, state}, new int[] {y2},
          BuiltinOptions.SVDFOptions, b -> SVDFOptions.createSVDFOptions(b, 2, (byte) 0, false));
    });
    assertThatThrownBy(() -> TfliteImporter.load(file, "m")).isInstanceOf(KilnException.class)
        .hasMessageContaining("'state' is also used elsewhere");
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
    return Tensor.ofInts(v.dtype(), v.shape(), q);
  }
}
