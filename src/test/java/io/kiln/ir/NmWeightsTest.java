package io.kiln.ir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.prune.NmPruner;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The packed N:M form: round trips, stored sizes, pattern checks and recognition. */
class NmWeightsTest {

  private static int[] random(SplittableRandom rng, int n) {
    int[] w = new int[n];
    for (int i = 0; i < n; i++) {
      w[i] = rng.nextInt(255) - 127;
    }
    return w;
  }

  @Test
  void packAndUnpackRoundTripForEveryFormatAndOddLengths() {
    SplittableRandom rng = new SplittableRandom(13);
    for (Encoding.NM f : NmWeights.FORMATS) {
      for (int length : new int[] {1, 3, f.m() - 1, f.m(), f.m() + 1, 27, 288, 1000}) {
        int rows = 1 + rng.nextInt(9);
        int[] w = NmPruner.prune(random(rng, rows * length), rows, f);
        if (length > 2) {
          w[rng.nextInt(w.length)] = 0; // a group whose kept weight is 0
        }
        NmWeights p = NmWeights.pack(w, rows, f);
        assertThat(p.values()).hasSize(rows * f.groups(length) * f.n());
        assertThat(p.dense()).as("%s length %d", f, length).isEqualTo(w);
        int[] offsets = NmWeights.unpackOffsets(p.packedOffsets(), f, rows, length);
        assertThat(offsets).isEqualTo(p.offsets());
        for (int r = 0; r < rows; r++) {
          for (int j = 0; j < p.valuesPerRow(); j++) {
            // Every selection stays inside the channel's reduction, a short last group too.
            assertThat(p.index(j, offsets[r * p.valuesPerRow() + j])).isLessThan(length);
          }
        }
      }
    }
  }

  @Test
  void storedBytesSaveWhatTheFormatPromises() {
    Shape s = Shape.of(256, 3, 3, 64);
    long dense = s.elements();
    assertThat(1 - (double) new TensorType(DType.INT8, s, Quantization.NONE,
        new Encoding.NM(1, 4)).encodedBytes() / dense).isEqualTo(0.6875);
    assertThat(1 - (double) new TensorType(DType.INT8, s, Quantization.NONE,
        new Encoding.NM(1, 8)).encodedBytes() / dense).isEqualTo(0.8125);
    assertThat(1 - (double) new TensorType(DType.INT8, s, Quantization.NONE,
        new Encoding.NM(1, 16)).encodedBytes() / dense).isEqualTo(0.90625);
    // 27 weights (3x3x3): 7 groups of 4, 7 values and 2 bytes of 2-bit offsets per channel.
    assertThat(new TensorType(DType.INT8, Shape.of(16, 3, 3, 3), Quantization.NONE,
        new Encoding.NM(1, 4)).encodedBytes()).isEqualTo(16 * (7 + 2));
  }

  @Test
  void packingRefusesAGroupWithTooManyNonZeros() {
    int[] w = {0, 5, 0, -3, 1, 0, 0, 0};
    assertThatThrownBy(() -> NmWeights.pack(w, 1, new Encoding.NM(1, 4)))
        .hasMessageContaining("channel 0 group 0 has more than 1 non-zero weight of 4");
    assertThat(NmWeights.follows(w, 1, new Encoding.NM(1, 4))).isFalse();
    assertThat(NmWeights.follows(w, 1, new Encoding.NM(2, 4))).isTrue();
  }

  @Test
  void recognitionPicksTheSparsestFormatAndNeedsAWholeGroup() {
    SplittableRandom rng = new SplittableRandom(5);
    int[] w = NmPruner.prune(random(rng, 4 * 64), 4, new Encoding.NM(1, 8));
    assertThat(NmWeights.recognize(w, 4)).contains(new Encoding.NM(1, 8));
    assertThat(NmWeights.recognize(random(rng, 4 * 64), 4)).isEmpty();
    assertThat(NmWeights.recognize(new int[] {0, 0, 1}, 1)).isEmpty();
  }

  @Test
  void formatsOutsideTheKernelsAreRejected() {
    assertThatThrownBy(() -> new Encoding.NM(1, 5)).hasMessageContaining("M in {4, 8, 16}");
    assertThatThrownBy(() -> new Encoding.NM(3, 4)).hasMessageContaining("N in {1, 2}");
    assertThat(new Encoding.NM(1, 16).offsetBits()).isEqualTo(4);
    assertThat(new Encoding.NM(1, 4).offsetBits()).isEqualTo(2);
  }

  @Test
  void theVerifierChecksTheDataAgainstTheEncoding() {
    GraphBuilder b = new GraphBuilder("bad");
    int x = b.input("x", TensorType.quantized(DType.INT8, Shape.of(1, 8), 0.1, 0));
    int w = b.constant("w", new TensorType(DType.INT8, Shape.of(2, 8),
        Quantization.perTensor(0.01, 0), new Encoding.NM(1, 4)),
        ConstData.ofInts(DType.INT8, new int[] {1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1}));
    int y = b.apply(new Op.FullyConnected(Op.Activation.NONE, true), java.util.List.of(x, w),
        "y", DType.INT8, Quantization.perTensor(0.1, 0));
    b.output(y);
    assertThat(Verifier.check(b.build())).anyMatch(p -> p.contains("is 1:4 sparse but a group"
        + " holds more than 1 non-zero weights"));
  }
}
