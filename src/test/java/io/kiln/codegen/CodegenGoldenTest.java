package io.kiln.codegen;

import io.kiln.codegen.cpu.CpuCodegen;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.testing.Golden;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The generated C of small hand-built graphs, kept as golden files so that every change to code
 * generation shows up as a reviewable diff ({@code -Dgolden.update=true} accepts it).
 */
class CodegenGoldenTest {

  @Test
  void tinyNetwork() {
    SmallGraphs s = new SmallGraphs("tiny_net", 71);
    s.builder().output(SmallGraphCodegenTest.tinyNet(s));
    assertGolden("tiny_net", s.builder().build());
  }

  @Test
  void residualBlockWithMaxPool() {
    SmallGraphs s = new SmallGraphs("residual", 5);
    int x = s.input(1, 6, 6, 4);
    int c = s.conv(x, 4, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU, true, true);
    int a = s.add(c, x, Activation.NONE);
    s.builder().output(s.maxPool(a, 2, 2, Pads.NONE));
    assertGolden("residual", s.builder().build());
  }

  @Test
  void floatInputAndOutputAroundFullyConnected() {
    assertGolden("float_io", floatIoGraph());
  }

  /** A padded 3x3 conv over 5 channels at 1:4 and an odd-width FC at 1:8, sparse kernels. */
  @Test
  void sparseConvAndFullyConnected() {
    SmallGraphs s = new SmallGraphs("sparse_net", 17);
    int x = s.input(1, 5, 5, 5);
    int c = s.conv(x, 4, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU, true, true);
    int r = s.reshape(c, 1, 100);
    s.builder().output(s.fc(r, 3, Activation.NONE, true));
    Graph g = SparseCodegenTest.sparsify(s.builder().build(), new io.kiln.ir.Encoding.NM(1, 4),
        new java.util.SplittableRandom(3));
    var files = CpuCodegen.emit(g, CodegenOptions.defaults()
        .withSparse(CodegenOptions.SparseKernels.ALWAYS)).files();
    for (String f : List.of("kiln_model.c", "kiln_weights.c")) {
      Golden.assertMatches("codegen/sparse_net/" + f, files.get(f));
    }
  }

  @Test
  void generationIsDeterministic() {
    Graph g = floatIoGraph();
    assertThat(CpuCodegen.emit(g, CodegenOptions.defaults()).files())
        .isEqualTo(CpuCodegen.emit(g, CodegenOptions.defaults()).files());
  }

  /** Quantize float to int8, a fully connected layer, Dequantize back: ToyCar's shape. */
  static Graph floatIoGraph() {
    SmallGraphs s = new SmallGraphs("float_io", 9);
    var b = s.builder();
    int x = b.input("features", TensorType.of(DType.FLOAT32, 1, 6));
    int q = b.apply(new Op.Quantize(), List.of(x), "q", DType.INT8,
        Quantization.perTensor(0.0625, 3));
    int f = s.fc(q, 3, Activation.RELU, false);
    int w = b.constant("unused", new TensorType(DType.INT8, Shape.of(2), Quantization.NONE),
        ConstData.ofInts(DType.INT8, new int[] {1, 2}));
    assertThat(w).isPositive();
    b.output(b.apply(new Op.Dequantize(), List.of(f), "y", DType.FLOAT32, Quantization.NONE));
    return b.build();
  }

  private static void assertGolden(String name, Graph g) {
    var files = CpuCodegen.emit(g, CodegenOptions.defaults()).files();
    for (String f : List.of("kiln_model.h", "kiln_model.c", "kiln_weights.h", "kiln_weights.c")) {
      Golden.assertMatches("codegen/" + name + "/" + f, files.get(f));
    }
    // Integer kernels carry no floating point: only Quantize/Dequantize may use it.
    if (!name.equals("float_io")) {
      assertThat(files.get("kiln_model.c")).doesNotContain("float").doesNotContain("double")
          .doesNotContain("math.h");
    }
    assertThat(files.get("kiln_model.c")).doesNotContain("malloc");
  }
}
