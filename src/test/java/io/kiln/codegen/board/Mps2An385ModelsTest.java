package io.kiln.codegen.board;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.Board;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The four MLPerf Tiny int8 models (KWS DS-CNN, VWW MobileNet, ResNet8, the AD autoencoder)
 * compiled for the MPS2 AN385 board, built with arm-none-eabi-gcc and run bare-metal under
 * qemu-system-arm: all 16 {@code rand16} samples and the {@code zeros} case must give
 * TensorFlow Lite Micro's bytes.
 */
class Mps2An385ModelsTest {
  @TempDir
  Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"kws_ref_model", "pretrainedResnet_quant", "vww_96_int8", "ad01_int8"})
  void runsUnderQemuLikeTflm(String model) throws IOException {
    Mps2Toolchain.assumeToolchain();
    Path root = SharedModels.root();
    Graph g = TfliteImporter.load(root.resolve("mlperf-tiny/" + model + ".tflite"));
    Path refDir = root.resolve("reference-outputs").resolve(model);
    Path dir = tmp.resolve(model);
    CpuCodegen.generate(g, dir, CodegenOptions.defaults().withBoard(Board.MPS2_AN385));
    Path elf = Mps2Toolchain.build(dir);

    for (String c : List.of("rand16", "zeros")) {
      byte[] in = Files.readAllBytes(refDir.resolve(c + ".in.bin"));
      byte[] expected = Files.readAllBytes(refDir.resolve(c + ".out.tflm.bin"));
      int batch = c.equals("rand16") ? 16 : 1;
      List<byte[]> outs = Mps2Toolchain.run(elf, List.of(in), batch, 1);
      assertThat(outs.get(0)).as("%s/%s under qemu", model, c).hasSize(expected.length);
      assertThat(firstDifference(expected, outs.get(0)))
          .as("%s/%s under qemu: first differing byte", model, c).isEqualTo(-1);
    }
  }

  /** The audio front-end: 49 frames per WAV run in order, the noise estimate carried along. */
  @ParameterizedTest
  @ValueSource(strings = {"yes_1000ms", "no_1000ms", "silence_1000ms", "noise_1000ms"})
  void audioFrontEndRunsUnderQemuLikeTflm(String c) throws IOException {
    Mps2Toolchain.assumeToolchain();
    Path root = SharedModels.root();
    Graph g = TfliteImporter.load(root.resolve(
        "tflm/micro_speech/audio_preprocessor_int8.tflite"));
    Path refDir = root.resolve("reference-outputs/audio_preprocessor_int8");
    Path dir = tmp.resolve("audio");
    CpuCodegen.generate(g, dir, CodegenOptions.defaults().withBoard(Board.MPS2_AN385));
    Path elf = Mps2Toolchain.build(dir);
    byte[] in = Files.readAllBytes(refDir.resolve(c + ".in.bin"));
    byte[] expected = Files.readAllBytes(refDir.resolve(c + ".out.tflm.bin"));
    List<byte[]> outs = Mps2Toolchain.run(elf, List.of(in), 49, 1);
    assertThat(firstDifference(expected, outs.get(0)))
        .as("audio front-end %s under qemu: first differing byte", c).isEqualTo(-1);
  }

  private static int firstDifference(byte[] a, byte[] b) {
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] != b[i]) {
        return i;
      }
    }
    return a.length == b.length ? -1 : Math.min(a.length, b.length);
  }
}
