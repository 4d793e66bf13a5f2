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
import io.kiln.testing.LstmGraphs;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.UnidirectionalSequenceLSTMOptions;

/**
 * TFLite UNIDIRECTIONAL_SEQUENCE_LSTM import: the 24 inputs map onto the IR's gates, the hidden
 * and cell variable tensors become the operator's state, {@code kiln run --batch} carries it
 * from sample to sample, and the LSTM variants TFLM's kernel refuses are one clear error.
 */
class TfliteLstmTest {
  @TempDir
  Path tmp;

  private static final LstmGraphs.Dims DIMS = new LstmGraphs.Dims(1, 3, 4, 5, false);

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

  /**
   * Writes a hand-built LSTM graph as a .tflite file in TFLite's input order;
   * {@code extraTensor}, when given, names an optional input that gets a tensor anyway (an LSTM
   * variant TFLM does not run).
   */
  static byte[] write(Graph g, boolean variables, IntUnaryOperator extraTensor) {
    TinyTflite f = new TinyTflite();
    Node n = g.nodes().get(0);
    Op.UnidirectionalLstm op = (Op.UnidirectionalLstm) n.op();
    Value x = g.inputValues().get(0);
    int[] in = new int[24];
    Arrays.fill(in, -1);
    in[0] = f.tensor("x", type(x.dtype()), x.shape().dims(), scale(x.type()), zp(x.type()));
    for (int slot = 1; slot <= 12; slot++) {
      Value v = g.input(n, slot);
      int t = f.constant(v.name(), type(v.dtype()), v.shape().dims(), scale(v.type()),
          zp(v.type()), v.data().bytes());
      // IR slots 1-8 are TFLite's 1-8; the biases 9-12 are TFLite's 12-15.
      in[slot <= 8 ? slot : slot + 3] = t;
    }
    TensorType hs = op.hiddenState();
    TensorType cs = op.cellState();
    in[18] = variables ? f.variable("h", type(hs.dtype()), hs.shape().dims(), scale(hs), zp(hs))
        : f.tensor("h", type(hs.dtype()), hs.shape().dims(), scale(hs), zp(hs));
    in[19] = f.variable("c", type(cs.dtype()), cs.shape().dims(), scale(cs), zp(cs));
    if (extraTensor != null) {
      int slot = extraTensor.applyAsInt(-1);
      in[slot] = f.constant("extra", type(DType.INT16), new int[] {DIMS.units()}, 0.01f, 0,
          new byte[2 * DIMS.units()]);
    }
    Value y = g.outputValues().get(0);
    int out = f.tensor("y", type(y.dtype()), y.shape().dims(), scale(y.type()), zp(y.type()));
    f.op(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, in, new int[] {out},
        BuiltinOptions.UnidirectionalSequenceLSTMOptions,
        b -> UnidirectionalSequenceLSTMOptions.createUnidirectionalSequenceLSTMOptions(b,
            (byte) ActivationFunctionType.TANH, op.cellClip(), 0f, op.timeMajor(), false,
            false));
    return f.io(new int[] {in[0]}, new int[] {out}).build();
  }

  @Test
  void importsTheGatesAndStatesAndComputesTheSameLayer() {
    for (Graph g : List.of(LstmGraphs.int8("lstm", 31, DIMS, 0.5f),
        LstmGraphs.float32("lstmf", 32, new LstmGraphs.Dims(2, 3, 4, 5, true), 0f))) {
      Graph imported = TfliteImporter.load(write(g, true, null), "m");
      assertThat(imported.nodes()).hasSize(1);
      assertThat(imported.nodes().get(0).op()).isEqualTo(g.nodes().get(0).op());
      for (int slot = 1; slot <= 12; slot++) {
        assertThat(imported.input(imported.nodes().get(0), slot).data())
            .isEqualTo(g.input(g.nodes().get(0), slot).data());
      }
      Interpreter a = new Interpreter(g);
      Interpreter b = new Interpreter(imported);
      Random rnd = new Random(3);
      for (int s = 0; s < 3; s++) {
        Tensor x = random(g.inputValues().get(0), rnd);
        assertThat(b.run(List.of(x)).get(0).toBytes())
            .isEqualTo(a.run(List.of(x)).get(0).toBytes());
      }
    }
  }

  @Test
  void runBatchCarriesTheStateFromSampleToSample() throws Exception {
    Graph g = LstmGraphs.int8("lstm", 31, DIMS, 0f);
    Path model = tmp.resolve("lstm.tflite");
    Files.write(model, write(g, true, null));
    int per = (int) g.inputValues().get(0).type().bytes();
    byte[] samples = new byte[2 * per];
    new Random(4).nextBytes(samples);
    Files.write(tmp.resolve("both.bin"), samples);
    Files.write(tmp.resolve("second.bin"), Arrays.copyOfRange(samples, per, 2 * per));
    byte[] batch2 = run(model, tmp.resolve("both.bin"), 2, "b2");
    byte[] alone2 = run(model, tmp.resolve("second.bin"), 1, "a2");
    int outPer = (int) g.outputValues().get(0).type().bytes();
    assertThat(Arrays.copyOfRange(batch2, outPer, 2 * outPer))
        .as("the second sample of a batch continues from the first one's state")
        .isNotEqualTo(alone2);
    Interpreter in = new Interpreter(g);
    ByteArrayOutputStream want = new ByteArrayOutputStream();
    Value x = g.inputValues().get(0);
    for (int s = 0; s < 2; s++) {
      want.writeBytes(in.run(List.of(Tensor.fromBytes(x.dtype(), x.shape(),
          Arrays.copyOfRange(samples, s * per, (s + 1) * per)))).get(0).toBytes());
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
  void variantsTflmRefusesAreRefused() {
    Graph g = LstmGraphs.int8("lstm", 31, DIMS, 0f);
    assertThatThrownBy(() -> TfliteImporter.load(write(g, true, s -> 10), "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("peephole weights (input 10) are not supported");
    assertThatThrownBy(() -> TfliteImporter.load(write(g, true, s -> 17), "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("a projection (input 17) are not supported");
    assertThatThrownBy(() -> TfliteImporter.load(write(g, true, s -> 21), "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("layer normalization (input 21) are not supported");
    assertThatThrownBy(() -> TfliteImporter.load(write(g, false, null), "m"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("output_state tensor")
        .hasMessageContaining("is not a variable tensor");
  }

  @Test
  void compileReportsTheStateBytes() throws Exception {
    Graph g = LstmGraphs.int8("lstm", 31, DIMS, 0f);
    Path model = tmp.resolve("lstm.tflite");
    Files.write(model, write(g, true, null));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "compile",
        model.toString(), "-o", tmp.resolve("c").toString(), "--no-object-sizes");
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("UnidirectionalSequenceLstm").contains("state_bytes");
    assertThat(Files.readString(tmp.resolve("c/kiln_model.h")))
        .contains("#define KILN_STATE_BYTES " + (5 + 5 * 2));
  }

  @Test
  void deployedProgramKeepsAndResetsTheStateToo() throws Exception {
    Graph g = LstmGraphs.int8("lstm", 31, DIMS, 0f);
    long zp = ((Op.UnidirectionalLstm) g.nodes().get(0).op()).hiddenState().quant().zeroPoint();
    Path model = tmp.resolve("lstm.tflite");
    Files.write(model, write(g, true, null));
    int code = Main.execute(new PrintWriter(new StringWriter(), true),
        new PrintWriter(new StringWriter(), true), "compile", model.toString(), "--target",
        "diana", "-o", tmp.resolve("d").toString(), "--no-object-sizes");
    assertThat(code).isZero();
    assertThat(Files.readString(tmp.resolve("d/kiln_model.h")))
        .contains("#define KILN_STATE_BYTES 15").contains("void kiln_reset(void);");
    String c = Files.readString(tmp.resolve("d/kiln_model.c"));
    assertThat(c).contains("memset(kiln_l0_hidden_state, " + zp + ", sizeof kiln_l0_hidden_state);")
        .contains("memset(kiln_l0_cell_state, 0, sizeof kiln_l0_cell_state);");
    if (zp != 0) {
      assertThat(c).contains("if (!kiln_state_ready) kiln_reset();");
    }
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
