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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The four MLPerf Tiny int8 models (KWS DS-CNN, VWW MobileNet, ResNet8, the AD autoencoder)
 * compiled for every board with the kernels of the board's core, built with arm-none-eabi-gcc
 * and run bare-metal under qemu-system-arm: all 16 {@code rand16} samples and the {@code zeros}
 * case must give TensorFlow Lite Micro's bytes.
 */
class BoardModelsTest {
  @TempDir
  Path tmp;

  static Stream<Arguments> boardsAndModels() {
    List<Arguments> all = new ArrayList<>();
    for (Board b : Board.values()) {
      if (b.core().riscv()) {
        continue; // RiscvVirtBuildTest runs one model there; these four take minutes on it.
      }
      for (String m : List.of("kws_ref_model", "pretrainedResnet_quant", "vww_96_int8",
          "ad01_int8")) {
        all.add(Arguments.of(b, m));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("boardsAndModels")
  void runsUnderQemuLikeTflm(Board board, String model) throws IOException {
    BoardToolchain.assumeToolchain();
    Path root = SharedModels.root();
    Graph g = TfliteImporter.load(root.resolve("mlperf-tiny/" + model + ".tflite"));
    Path refDir = root.resolve("reference-outputs").resolve(model);
    Path dir = tmp.resolve(model);
    CpuCodegen.generate(g, dir, CodegenOptions.defaults().withBoard(board)
        .withCore(board.core()));
    Path elf = BoardToolchain.build(board, dir);

    for (String c : List.of("rand16", "zeros")) {
      byte[] in = Files.readAllBytes(refDir.resolve(c + ".in.bin"));
      byte[] expected = Files.readAllBytes(refDir.resolve(c + ".out.tflm.bin"));
      int batch = c.equals("rand16") ? 16 : 1;
      List<byte[]> outs = BoardToolchain.run(board, elf, List.of(in), batch, 1);
      assertThat(outs.get(0)).as("%s/%s under qemu %s", model, c, board.id())
          .hasSize(expected.length);
      assertThat(firstDifference(expected, outs.get(0)))
          .as("%s/%s under qemu %s: first differing byte", model, c, board.id()).isEqualTo(-1);
    }
  }

  /** The audio front-end: 49 frames per WAV run in order, the noise estimate carried along. */
  @ParameterizedTest
  @ValueSource(strings = {"yes_1000ms", "no_1000ms", "silence_1000ms", "noise_1000ms"})
  void audioFrontEndRunsUnderQemuLikeTflm(String c) throws IOException {
    BoardToolchain.assumeToolchain();
    Path root = SharedModels.root();
    Graph g = TfliteImporter.load(root.resolve(
        "tflm/micro_speech/audio_preprocessor_int8.tflite"));
    Path refDir = root.resolve("reference-outputs/audio_preprocessor_int8");
    Path dir = tmp.resolve("audio");
    CpuCodegen.generate(g, dir, CodegenOptions.defaults().withBoard(Board.MPS2_AN385));
    Path elf = BoardToolchain.build(Board.MPS2_AN385, dir);
    byte[] in = Files.readAllBytes(refDir.resolve(c + ".in.bin"));
    byte[] expected = Files.readAllBytes(refDir.resolve(c + ".out.tflm.bin"));
    List<byte[]> outs = BoardToolchain.run(Board.MPS2_AN385, elf, List.of(in), 49, 1);
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
