package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.OpState;
import io.kiln.ir.Value;
import io.kiln.testing.SvdfGraphs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SVDF layers in generated C: built under ASan/UBSan and run by {@code kiln_host} on several
 * consecutive samples, whose outputs must equal the interpreter's running the same samples in
 * order on one state; the state block is declared, counted and reset to TFLM's reset bytes.
 */
class SvdfCodegenTest {
  private static final int SAMPLES = 7;

  @TempDir
  Path tmp;

  private static final SvdfGraphs.Dims SMALL = new SvdfGraphs.Dims(1, 12, 4, 2, 5);
  private static final SvdfGraphs.Dims BATCHED = new SvdfGraphs.Dims(2, 9, 3, 1, 8);

  @Test
  void int8WithInt16StateEqualsTheInterpreter() throws IOException {
    check(SvdfGraphs.int8("svdf_i16", 1, SMALL, DType.INT16, true), "i16");
    check(SvdfGraphs.int8("svdf_i16_b2", 2, BATCHED, DType.INT16, false), "i16b");
  }

  @Test
  void int8WithInt8StateEqualsTheInterpreter() throws IOException {
    check(SvdfGraphs.int8("svdf_i8", 3, SMALL, DType.INT8, true), "i8");
    check(SvdfGraphs.int8("svdf_i8_b2", 4, BATCHED, DType.INT8, true), "i8b");
  }

  @Test
  void floatEqualsTheInterpreterBitForBit() throws IOException {
    check(SvdfGraphs.float32("svdf_f32", 5, SMALL, Op.Activation.RELU, true), "f");
    check(SvdfGraphs.float32("svdf_f32_b2", 6, BATCHED, Op.Activation.NONE, false), "fb");
  }

  @Test
  void stateBlockIsDeclaredCountedAndResetToTheZeroPoint() {
    Graph g = SvdfGraphs.int8("svdf_i8", 3, SMALL, DType.INT8, true);
    Op.Svdf op = (Op.Svdf) g.nodes().get(0).op();
    long zp = op.state().quant().zeroPoint();
    assertThat(zp).as("the test needs a non-zero reset byte").isNotZero();
    var files = CpuCodegen.emit(g, CodegenOptions.defaults()).files();
    assertThat(files.get("kiln_model.h"))
        .contains("#define KILN_STATE_BYTES " + OpState.bytes(g));
    assertThat(OpState.bytes(g)).isEqualTo(5L * 8);
    assertThat(files.get("kiln_model.c"))
        .contains("static int8_t kiln_l0_activation_state[40];")
        .contains("memset(kiln_l0_activation_state, " + zp + ", sizeof kiln_l0_activation_state);")
        .contains("if (!kiln_state_ready) kiln_reset();");
    // A zero reset byte needs no first-run reset: static storage starts at zero.
    Graph g16 = SvdfGraphs.int8("svdf_i16", 1, SMALL, DType.INT16, true);
    assertThat(CpuCodegen.emit(g16, CodegenOptions.defaults()).files().get("kiln_model.c"))
        .contains("static int16_t kiln_l0_activation_state[40];")
        .doesNotContain("kiln_state_ready");
  }

  /** The generated SVDF under review like hand-written code. */
  @Test
  void generatedCodeMatchesGoldens() {
    Graph g = SvdfGraphs.int8("svdf_i8", 3, new SvdfGraphs.Dims(1, 4, 2, 2, 3), DType.INT8,
        true);
    var files = CpuCodegen.emit(g, CodegenOptions.defaults()).files();
    io.kiln.testing.Golden.assertMatches("codegen/svdf_int8/kiln_model.c",
        files.get("kiln_model.c"));
    Graph f = SvdfGraphs.float32("svdf_f32", 5, new SvdfGraphs.Dims(1, 4, 2, 1, 3),
        Op.Activation.RELU6, true);
    io.kiln.testing.Golden.assertMatches("codegen/svdf_f32/kiln_model.c",
        CpuCodegen.emit(f, CodegenOptions.defaults()).files().get("kiln_model.c"));
  }

  @Test
  void resetInCRestartsTheState() throws IOException {
    NativeBuild.assumeGcc();
    Path dir = tmp.resolve("reset");
    CpuCodegen.generate(SvdfGraphs.int8("svdf_i8", 3, SMALL, DType.INT8, true), dir,
        CodegenOptions.defaults());
    Files.writeString(dir.resolve("main_host.c"), """
        /* Runs 6 samples, resets, runs them again: both passes must agree; a third pass
           without a reset continues from the state and must differ. */
        #include <stdint.h>
        #include <stdio.h>
        #include <string.h>
        #include "kiln_model.h"
        static int8_t x[6][12];
        static int8_t out[3][6][4];
        int main(void) {
          for (int s = 0; s < 6; ++s)
            for (int i = 0; i < 12; ++i) x[s][i] = (int8_t)((i * 37 + s * 101) % 256 - 128);
          for (int pass = 0; pass < 3; ++pass) {
            if (pass == 1) kiln_reset();
            for (int s = 0; s < 6; ++s) kiln_run_single(x[s], out[pass][s]);
          }
          if (memcmp(out[0], out[1], sizeof out[0]) != 0) { puts("reset differs"); return 1; }
          if (memcmp(out[1], out[2], sizeof out[0]) == 0) { puts("no state kept"); return 1; }
          return 0;
        }
        """);
    Path exe = NativeBuild.compile(dir, NativeBuild.SANITIZE, "reset_check");
    NativeBuild.Result r = NativeBuild.exec(dir, List.of(exe.toString()));
    assertThat(r.output()).isEmpty();
    assertThat(r.exit()).isZero();
  }

  private void check(Graph g, String dirName) throws IOException {
    NativeBuild.assumeGcc();
    Value in = g.inputValues().get(0);
    Random rnd = new Random(dirName.hashCode());
    byte[] inputs = new byte[(int) in.type().bytes() * SAMPLES];
    if (in.dtype() == DType.FLOAT32) {
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
      Tensor x = Tensor.fromBytes(in.dtype(), in.shape(),
          Arrays.copyOfRange(inputs, s * per, (s + 1) * per));
      expected.writeBytes(interp.run(List.of(x)).get(0).toBytes());
    }
    Path host = NativeBuild.build(g, tmp.resolve(dirName), NativeBuild.SANITIZE);
    byte[] c = NativeBuild.run(host, List.of(inputs), SAMPLES, 1).get(0);
    assertThat(c).as(g.name()).isEqualTo(expected.toByteArray());
    int outPer = (int) g.outputValues().get(0).type().bytes();
    assertThat(Arrays.copyOfRange(c, outPer, 2 * outPer))
        .as("%s: the second sample sees the first one's state", g.name())
        .isNotEqualTo(new Interpreter(g).run(List.of(Tensor.fromBytes(in.dtype(), in.shape(),
            Arrays.copyOfRange(inputs, per, 2 * per)))).get(0).toBytes());
  }
}
