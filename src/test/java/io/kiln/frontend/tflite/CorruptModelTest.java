package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Verifier;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.tensorflow.lite.schema.Model;

/**
 * Seeded truncations and byte flips of real models: the importer must answer each variant with a
 * verified graph or a one-line {@link KilnException}, never another exception, a hang or an
 * absurd allocation.
 */
class CorruptModelTest {
  private static final Duration LIMIT = Duration.ofSeconds(5);
  private static final int TRUNCATIONS = 40;
  private static final int FLIPS = 160;

  /** What happened to the variants of one model. */
  private static final class Tally {
    int imported;
    int rejected;
  }

  private static void check(byte[] variant, String what, Tally tally) {
    Graph g;
    try {
      g = assertTimeoutPreemptively(LIMIT, () -> TfliteImporter.load(variant, "variant"), what);
    } catch (KilnException e) {
      assertThat(e.getMessage()).as(what).isNotBlank().doesNotContain("\n").doesNotContain("\r");
      tally.rejected++;
      return;
    }
    assertThat(Verifier.check(g)).as(what).isEmpty();
    tally.imported++;
  }

  /** Offsets outside every buffer's data: the tables, vectors and strings that steer parsing. */
  private static int[] structureBytes(byte[] model) {
    ByteBuffer bb = ByteBuffer.wrap(model).order(ByteOrder.LITTLE_ENDIAN);
    Model m = Model.getRootAsModel(bb);
    boolean[] data = new boolean[model.length];
    for (int b = 0; b < m.buffersLength(); b++) {
      ByteBuffer d = m.buffers(b).dataAsByteBuffer();
      if (d != null) {
        Arrays.fill(data, d.position(), d.limit(), true);
      }
    }
    int[] out = new int[model.length];
    int n = 0;
    for (int i = 0; i < model.length; i++) {
      if (!data[i]) {
        out[n++] = i;
      }
    }
    return Arrays.copyOf(out, n);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "mlperf-tiny/ad01_int8.tflite",
      "mlperf-tiny/kws_ref_model.tflite",
      "mlperf-tiny/pretrainedResnet_quant.tflite",
      "mlperf-tiny/vww_96_int8.tflite",
      "tflm/hello_world/hello_world_int8.tflite",
      "tflm/seanet/conv/conv0.tflite"})
  void truncationsAndByteFlipsFailCleanly(String model) throws IOException {
    byte[] original = Files.readAllBytes(SharedModels.file(model));
    SplittableRandom rnd = new SplittableRandom(model.hashCode());
    Tally tally = new Tally();

    List<Integer> lengths = new ArrayList<>(List.of(0, 1, 4, 7, 8, 12, 16, original.length - 1));
    while (lengths.size() < TRUNCATIONS) {
      lengths.add(rnd.nextInt(17, original.length));
    }
    for (int len : lengths) {
      check(Arrays.copyOf(original, len), model + " truncated to " + len, tally);
    }

    int[] structure = structureBytes(original);
    for (int v = 0; v < FLIPS; v++) {
      byte[] variant = original.clone();
      int flips = 1 + rnd.nextInt(4);
      StringBuilder what = new StringBuilder(model).append(" variant ").append(v).append(':');
      for (int f = 0; f < flips; f++) {
        // Mostly hit the bytes that steer parsing; weights only change numbers.
        int at = rnd.nextInt(4) == 0 ? rnd.nextInt(original.length)
            : structure[rnd.nextInt(structure.length)];
        byte value = switch (rnd.nextInt(4)) {
          case 0 -> (byte) 0xFF;
          case 1 -> 0;
          default -> (byte) (variant[at] ^ (1 + rnd.nextInt(255)));
        };
        variant[at] = value;
        what.append(' ').append(at).append('=').append(value);
      }
      check(variant, what.toString(), tally);
    }
    // The corpus must exercise the error paths, and the untouched model still imports.
    assertThat(tally.rejected).isGreaterThan(TRUNCATIONS / 2);
    assertThat(tally.imported + tally.rejected).isEqualTo(TRUNCATIONS + FLIPS);
    check(original, model, tally);
  }

  @Test
  void randomBytesAndTextAreNotModels() {
    SplittableRandom rnd = new SplittableRandom(7);
    Tally tally = new Tally();
    for (int i = 0; i < 100; i++) {
      byte[] junk = new byte[rnd.nextInt(0, 4096)];
      rnd.nextBytes(junk);
      // Half the junk carries the identifier, so the parser itself meets garbage.
      if (i % 2 == 1 && junk.length >= 8) {
        junk[4] = 'T';
        junk[5] = 'F';
        junk[6] = 'L';
        junk[7] = '3';
      }
      check(junk, "random bytes " + i, tally);
    }
    assertThat(tally.imported).isZero();
    check("model.tflite: not really\n".repeat(50).getBytes(), "text", tally);
    assertThat(tally.imported).isZero();
  }
}
