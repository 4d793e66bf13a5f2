package io.kiln.codegen.board;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.Board;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.CompileResult;
import io.kiln.codegen.SparseEdgeCasesTest;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.target.CpuCore;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sparse Conv2D with SMLAD (Cortex-M DSP extension) on the emulated Cortex-M4: for every N:M
 * format, the edge-case chain of {@link SparseEdgeCasesTest} (stride 2 with asymmetric padding,
 * dilation, pointwise, reductions not a multiple of M or of four values, zero kept weights, an
 * all-zero channel, input zero points at both ends of int8) built with {@code --sparse always}
 * for {@code cpu:core=cortex-m4} on mps2-an386 and run under QEMU gives the interpreter's bytes;
 * so do the Cortex-M55 build on mps3-an547 (Helium cores have the DSP extension: the same
 * kernel) and the same model with the plain sparse kernels on the M3.
 */
class SparseDspKernelsTest {
  @TempDir
  Path tmp;

  @Test
  void smladSparseConvolutionsMatchTheInterpreterOnTheM4() throws Exception {
    BoardToolchain.assumeToolchain(Board.MPS2_AN386);
    int trial = 0;
    for (Encoding.NM f : SparseEdgeCasesTest.ALL_FORMATS) {
      int zp = trial % 2 == 0 ? 127 : -128;
      Graph g = SparseEdgeCasesTest.edgeGraph(f, zp, 500 + trial);
      int batch = 2;
      int in = g.inputs().get(0);
      int size = g.type(in).elements();
      byte[] input = new byte[size * batch];
      new SplittableRandom(trial++).nextBytes(input);
      Arrays.fill(input, 0, size / 2, (byte) (zp < 0 ? 127 : -128));
      byte[] expected = interpret(g, input, batch);
      for (Board board : List.of(Board.MPS2_AN386, Board.MPS3_AN547, Board.MPS2_AN385)) {
        CpuCore core = board == Board.MPS2_AN385 ? CpuCore.GENERIC : board.core();
        Path dir = tmp.resolve(f.n() + "x" + f.m() + board.id());
        CompileResult r = CpuCodegen.generate(g, dir, CodegenOptions.defaults().withBoard(board)
            .withCore(core).withSparse(CodegenOptions.SparseKernels.ALWAYS));
        List<String> kernels = r.layers().stream().map(CompileResult.Layer::kernel).toList();
        boolean dsp = core != CpuCore.GENERIC;
        assertThat(kernels).as("%s %s: conv", f, board.id()).filteredOn(("dsp-sparse-" + f)::equals)
            .hasSize(dsp ? 3 : 0);
        assertThat(kernels).as("%s %s: FC", f, board.id()).filteredOn(("sparse-" + f)::equals)
            .hasSize(dsp ? 2 : 5);
        Path elf = BoardToolchain.build(board, dir);
        byte[] out = BoardToolchain.run(board, elf, List.of(input), batch, 1).get(0);
        assertThat(out).as("%s on %s", f, board.id()).isEqualTo(expected);
      }
    }
  }

  private static byte[] interpret(Graph g, byte[] input, int batch) {
    int in = g.inputs().get(0);
    int size = g.type(in).elements();
    Interpreter interp = new Interpreter(g);
    byte[] out = new byte[0];
    for (int b = 0; b < batch; b++) {
      byte[] got = interp.run(List.of(Tensor.fromBytes(DType.INT8, g.type(in).shape(),
          Arrays.copyOfRange(input, b * size, (b + 1) * size)))).get(0).toBytes();
      byte[] both = Arrays.copyOf(out, out.length + got.length);
      System.arraycopy(got, 0, both, out.length, got.length);
      out = both;
    }
    return out;
  }
}
