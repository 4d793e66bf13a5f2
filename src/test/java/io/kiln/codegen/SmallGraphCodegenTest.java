package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated C for small hand-built graphs, built with {@code gcc -std=c99 -O2 -Wall -Wextra
 * -Werror} and run by {@code kiln_host} on seeded random inputs (several samples per run),
 * against Kiln's reference interpreter byte for byte and a plain Java oracle of TFLM's kernels.
 */
class SmallGraphCodegenTest {
  private static final int BATCH = 4;

  @TempDir
  Path tmp;

  @Test
  void convolutionsWithPaddingStridesAndDilation() throws IOException {
    check("conv_same_s1", 11, s -> {
      int x = s.input(1, 7, 6, 5);
      return s.conv(x, 9, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU, true, true);
    });
    check("conv_s2_asym_pad_relu6", 12, s -> {
      int x = s.input(1, 10, 9, 3);
      return s.conv(x, 8, 4, 3, 2, 1, new Pads(1, 0, 2, 1), Activation.RELU6, true, true);
    });
    check("conv_dilated_no_bias_per_tensor", 13, s -> {
      int x = s.input(1, 9, 9, 4);
      return s.conv(x, 6, 3, 3, 1, 2, new Pads(2, 2, 2, 2), Activation.NONE, false, false);
    });
    check("conv_pointwise_batch2", 14, s -> {
      int x = s.input(2, 5, 4, 16);
      return s.conv(x, 24, 1, 1, 1, 1, Pads.NONE, Activation.NONE, true, true);
    });
  }

  @Test
  void depthwiseWithMultiplierAndDilation() throws IOException {
    check("dw_same_s1", 21, s -> {
      int x = s.input(1, 8, 7, 12);
      return s.depthwise(x, 1, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU);
    });
    check("dw_mult2_s2", 22, s -> {
      int x = s.input(1, 9, 9, 3);
      return s.depthwise(x, 2, 3, 3, 2, 1, new Pads(0, 0, 1, 1), Activation.NONE);
    });
    check("dw_dilated", 23, s -> {
      int x = s.input(1, 10, 8, 5);
      return s.depthwise(x, 1, 3, 2, 1, 3, new Pads(3, 1, 3, 2), Activation.RELU6);
    });
  }

  @Test
  void fullyConnectedPerTensorAndPerChannel() throws IOException {
    check("fc_per_tensor", 31, s -> s.fc(s.input(1, 40), 10, Activation.NONE, false));
    check("fc_per_channel_relu_rows", 32, s -> s.fc(s.input(3, 17), 7, Activation.RELU, true));
  }

  @Test
  void pools() throws IOException {
    check("avgpool_valid", 41, s -> s.avgPool(s.input(1, 6, 6, 8), 3, 3, Pads.NONE,
        Activation.NONE));
    check("avgpool_same_partial_windows", 42, s -> s.avgPool(s.input(1, 7, 5, 4), 3, 2,
        new Pads(1, 1, 1, 1), Activation.RELU));
    check("maxpool_same", 43, s -> s.maxPool(s.input(1, 7, 7, 6), 2, 2, new Pads(0, 0, 1, 1)));
  }

  @Test
  void addOfTwoComputedTensors() throws IOException {
    check("add_residual", 51, s -> {
      int x = s.input(1, 5, 5, 8);
      int a = s.conv(x, 8, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU, true, true);
      return s.add(a, x, Activation.RELU);
    });
    check("add_plain", 52, s -> {
      int x = s.input(1, 4, 4, 6);
      int a = s.depthwise(x, 1, 1, 1, 1, 1, Pads.NONE, Activation.NONE);
      return s.add(x, a, Activation.NONE);
    });
  }

  @Test
  void softmaxAfterFullyConnected() throws IOException {
    check("softmax_12", 61, s -> s.softmax(s.fc(s.input(1, 30), 12, Activation.NONE, false), 1f));
    check("softmax_rows_beta", 62, s -> s.softmax(s.fc(s.input(5, 20), 4, Activation.NONE,
        true), 0.5f));
  }

  @Test
  void tinyNetworkThroughReshape() throws IOException {
    check("tiny_net", 71, SmallGraphCodegenTest::tinyNet);
  }

  /** conv, depthwise, average pool, reshape, fully connected, softmax: a miniature KWS. */
  static int tinyNet(SmallGraphs s) {
    int x = s.input(1, 8, 6, 1);
    int c = s.conv(x, 8, 3, 3, 2, 1, new Pads(1, 1, 1, 1), Activation.RELU, true, true);
    int d = s.depthwise(c, 1, 3, 3, 1, 1, new Pads(1, 1, 1, 1), Activation.RELU);
    int p = s.avgPool(d, 3, 3, Pads.NONE, Activation.NONE);
    int r = s.reshape(p, 1, 8);
    int f = s.fc(r, 4, Activation.NONE, false);
    return s.softmax(f, 1f);
  }

  /** Builds the graph, runs BATCH random samples through kiln_host and the oracle. */
  private void check(String name, long seed, Function<SmallGraphs, Integer> body)
      throws IOException {
    NativeBuild.assumeGcc();
    SmallGraphs s = new SmallGraphs(name, seed);
    int out = body.apply(s);
    s.builder().output(out);
    Graph g = s.builder().build();
    int in = g.inputs().get(0);
    byte[] input = s.randomInput(in, BATCH);
    Path host = NativeBuild.build(g, tmp.resolve(name), NativeBuild.STRICT);
    byte[] actual = NativeBuild.run(host, List.of(input), BATCH, 1).get(0);

    int inSize = g.type(in).elements();
    int outSize = g.type(out).elements();
    List<Integer> expected = new ArrayList<>();
    for (int b = 0; b < BATCH; b++) {
      int[] sample = new int[inSize];
      for (int i = 0; i < inSize; i++) {
        sample[i] = input[b * inSize + i];
      }
      for (int v : ExpectedValues.run(g, List.of(sample)).get(0)) {
        expected.add(v);
      }
    }
    assertThat(actual).as("%s output size", name).hasSize(outSize * BATCH);
    // Kiln's reference interpreter, byte for byte, sample by sample.
    io.kiln.interp.Interpreter interp = new io.kiln.interp.Interpreter(g);
    for (int b = 0; b < BATCH; b++) {
      byte[] sample = Arrays.copyOfRange(input, b * inSize, (b + 1) * inSize);
      byte[] ref = interp.run(List.of(io.kiln.interp.Tensor.fromBytes(g.type(in).dtype(),
          g.type(in).shape(), sample))).get(0).toBytes();
      assertThat(Arrays.copyOfRange(actual, b * outSize, (b + 1) * outSize))
          .as("%s sample %d: generated C vs interpreter", name, b).isEqualTo(ref);
    }
    int[] act = new int[actual.length];
    for (int i = 0; i < actual.length; i++) {
      act[i] = actual[i];
    }
    assertThat(act).as("%s: generated C vs oracle", name)
        .containsExactly(expected.stream().mapToInt(Integer::intValue).toArray());
    // The data must exercise the arithmetic, not just the clamps.
    assertThat(Arrays.stream(act).distinct().count()).as("%s distinct outputs", name)
        .isGreaterThanOrEqualTo(3);
  }
}
