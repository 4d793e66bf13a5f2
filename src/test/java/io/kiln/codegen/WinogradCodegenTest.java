package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.passes.Pipeline;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The opt-in Winograd F(2x2, 3x3) kernel is exact: on seeded random 3x3 stride-1 convolutions
 * (odd and even sizes, padded or not, 1 to 70 channels) its C equals the interpreter byte for
 * byte, and ResNet8 compiled with it still reproduces TFLM's reference outputs.
 */
class WinogradCodegenTest {
  @TempDir
  Path tmp;

  private static final CodegenOptions WINOGRAD = CodegenOptions.defaults().withWinograd(true);

  @Test
  void randomConvolutionsMatchTheInterpreter() throws IOException {
    NativeBuild.assumeGcc();
    SplittableRandom rng = new SplittableRandom(2233);
    for (int trial = 0; trial < 6; trial++) {
      String name = "wino" + trial;
      SmallGraphs s = new SmallGraphs(name, 100 + trial);
      int h = 1 + rng.nextInt(9);
      int w = 1 + rng.nextInt(9);
      int c = trial == 5 ? 70 : 1 + rng.nextInt(12);
      int k = 1 + rng.nextInt(10);
      boolean same = rng.nextBoolean() || h < 3 || w < 3;
      int x = s.input(trial == 4 ? 2 : 1, h, w, c);
      Activation act = rng.nextBoolean() ? Activation.RELU : Activation.NONE;
      int out = s.conv(x, k, 3, 3, 1, 1, same ? new Pads(1, 1, 1, 1) : Pads.NONE, act, true,
          rng.nextBoolean());
      s.builder().output(out);
      Graph g = s.builder().build();
      assertThat(CpuCodegen.emit(g, WINOGRAD).files().get("kiln_model.c"))
          .as(name).contains("conv2d_winograd");
      Path dir = tmp.resolve(name);
      CpuCodegen.generate(g, dir, WINOGRAD);
      Path host = NativeBuild.compile(dir, NativeBuild.SANITIZE, "kiln_host");
      int in = g.inputs().get(0);
      byte[] input = s.randomInput(in, 3);
      byte[] actual = NativeBuild.run(host, List.of(input), 3, 1).get(0);
      Interpreter interp = new Interpreter(g);
      int inSize = g.type(in).elements();
      int outSize = g.type(out).elements();
      for (int b = 0; b < 3; b++) {
        byte[] ref = interp.run(List.of(Tensor.fromBytes(g.type(in).dtype(), g.type(in).shape(),
            Arrays.copyOfRange(input, b * inSize, (b + 1) * inSize)))).get(0).toBytes();
        assertThat(Arrays.copyOfRange(actual, b * outSize, (b + 1) * outSize))
            .as("%s (%dx%dx%d -> %d, %s) sample %d", name, h, w, c, k, same ? "same" : "valid",
                b).isEqualTo(ref);
      }
    }
  }

  @Test
  void resnet8WithWinogradStillMatchesTflm() throws IOException {
    NativeBuild.assumeGcc();
    Path ref = SharedModels.file("reference-outputs/pretrainedResnet_quant");
    Graph g = Pipeline.DEFAULT.apply(TfliteImporter.load(
        SharedModels.file("mlperf-tiny/pretrainedResnet_quant.tflite")));
    String c = CpuCodegen.emit(g, WINOGRAD).files().get("kiln_model.c");
    long winograd = c.lines().filter(l -> l.startsWith("static void")
        && l.contains("conv2d_winograd")).count();
    assertThat(winograd).as("ResNet8's 3x3 stride-1 convolutions").isEqualTo(5);
    Path dir = tmp.resolve("resnet");
    CpuCodegen.generate(g, dir, WINOGRAD);
    Path host = NativeBuild.compile(dir, NativeBuild.STRICT, "kiln_host");
    for (String cs : List.of("rand16", "zeros")) {
      int batch = cs.equals("rand16") ? 16 : 1;
      byte[] out = NativeBuild.run(host, List.of(Files.readAllBytes(ref.resolve(cs + ".in.bin"))),
          batch, 1).get(0);
      assertThat(out).as(cs).isEqualTo(Files.readAllBytes(ref.resolve(cs + ".out.tflm.bin")));
    }
  }
}
