package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.OpState;
import io.kiln.ir.Value;
import io.kiln.testing.LstmGraphs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LSTM layers in generated C, built under ASan/UBSan and run by {@code kiln_host} on several
 * consecutive samples: int8 equals the interpreter (running the same samples in order on one
 * state) byte for byte; float, whose {@code expf}/{@code tanhf} the C library rounds, within
 * {@link #FLOAT_TOLERANCE}.
 */
class LstmCodegenTest {
  private static final int SAMPLES = 4;
  /** Largest difference allowed between float C and the interpreter (outputs are in [-1, 1]). */
  static final double FLOAT_TOLERANCE = 1e-5;

  @TempDir
  Path tmp;

  @Test
  void int8EqualsTheInterpreter() throws IOException {
    check(LstmGraphs.int8("lstm_i8", 1, new LstmGraphs.Dims(1, 5, 6, 4, false), 0f), "a");
    check(LstmGraphs.int8("lstm_i8_b2_clip", 2, new LstmGraphs.Dims(2, 3, 5, 7, false), 0.9f),
        "b");
    check(LstmGraphs.int8("lstm_i8_tm", 3, new LstmGraphs.Dims(3, 2, 4, 3, true), 0f), "c");
  }

  @Test
  void floatEqualsTheInterpreterWithinTolerance() throws IOException {
    check(LstmGraphs.float32("lstm_f32", 4, new LstmGraphs.Dims(1, 5, 6, 4, false), 0f), "f");
    check(LstmGraphs.float32("lstm_f32_b2_clip", 5, new LstmGraphs.Dims(2, 3, 5, 7, true),
        0.7f), "g");
  }

  @Test
  void statesAreDeclaredAndCounted() {
    Graph g = LstmGraphs.int8("lstm_i8", 1, new LstmGraphs.Dims(2, 5, 6, 4, false), 0f);
    var files = CpuCodegen.emit(g, CodegenOptions.defaults()).files();
    assertThat(OpState.bytes(g)).isEqualTo(2 * 4 + 2 * 4 * 2);
    assertThat(files.get("kiln_model.h")).contains("#define KILN_STATE_BYTES 24");
    assertThat(files.get("kiln_model.c"))
        .contains("static int8_t kiln_l0_hidden_state[8];")
        .contains("static int16_t kiln_l0_cell_state[8];")
        .doesNotContain("float").doesNotContain("double");
  }

  /** The generated LSTM under review like hand-written code. */
  @Test
  void generatedCodeMatchesGoldens() {
    Graph g = LstmGraphs.int8("lstm_i8", 1, new LstmGraphs.Dims(1, 2, 3, 2, false), 0.5f);
    io.kiln.testing.Golden.assertMatches("codegen/lstm_int8/kiln_model.c",
        CpuCodegen.emit(g, CodegenOptions.defaults()).files().get("kiln_model.c"));
    Graph f = LstmGraphs.float32("lstm_f32", 2, new LstmGraphs.Dims(1, 2, 3, 2, false), 0f);
    io.kiln.testing.Golden.assertMatches("codegen/lstm_f32/kiln_model.c",
        CpuCodegen.emit(f, CodegenOptions.defaults()).files().get("kiln_model.c"));
  }

  private void check(Graph g, String dirName) throws IOException {
    NativeBuild.assumeGcc();
    Value in = g.inputValues().get(0);
    boolean floats = in.dtype() == DType.FLOAT32;
    Random rnd = new Random(dirName.hashCode());
    byte[] inputs = new byte[(int) in.type().bytes() * SAMPLES];
    if (floats) {
      ByteBuffer b = ByteBuffer.wrap(inputs).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < inputs.length / 4; i++) {
        b.putFloat((float) rnd.nextGaussian());
      }
    } else {
      rnd.nextBytes(inputs);
    }
    Interpreter interp = new Interpreter(g);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    int per = (int) in.type().bytes();
    for (int s = 0; s < SAMPLES; s++) {
      expected.writeBytes(interp.run(List.of(Tensor.fromBytes(in.dtype(), in.shape(),
          Arrays.copyOfRange(inputs, s * per, (s + 1) * per)))).get(0).toBytes());
    }
    Path host = NativeBuild.build(g, tmp.resolve(dirName), NativeBuild.SANITIZE);
    byte[] c = NativeBuild.run(host, List.of(inputs), SAMPLES, 1).get(0);
    if (!floats) {
      assertThat(c).as(g.name()).isEqualTo(expected.toByteArray());
      return;
    }
    ByteBuffer got = ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer want = ByteBuffer.wrap(expected.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(c.length).isEqualTo(expected.size());
    for (int i = 0; i < c.length / 4; i++) {
      assertThat((double) got.getFloat(4 * i)).as("%s element %d", g.name(), i)
          .isCloseTo(want.getFloat(4 * i), org.assertj.core.data.Offset.offset(FLOAT_TOLERANCE));
    }
  }
}
