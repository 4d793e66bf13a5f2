package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.flatbuffers.FlexBuffersBuilder;
import io.kiln.KilnException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** FlexOptions against buffers that the FlatBuffers project's own builder writes. */
class FlexOptionsTest {

  private static byte[] bytes(FlexBuffersBuilder b) {
    ByteBuffer bb = b.finish();
    byte[] out = new byte[bb.remaining()];
    bb.get(out);
    return out;
  }

  @Test
  void readsScalarsOfEveryWidthAndKind() {
    FlexBuffersBuilder b = new FlexBuffersBuilder(FlexBuffersBuilder.BUILDER_FLAG_NONE);
    int map = b.startMap();
    b.putInt("small", 12);
    b.putInt("negative", -3);
    b.putInt("wide", 1L << 40);
    b.putInt("int32", 0x12345678);
    b.putBoolean("flag", true);
    b.putFloat("real", 0.25);
    b.putString("name", "hann");
    b.endMap(null, map);
    FlexOptions o = FlexOptions.parse(bytes(b), "op");
    assertThat(o.integer("small")).isEqualTo(12);
    assertThat(o.integer("negative")).isEqualTo(-3);
    assertThat(o.integer("wide")).isEqualTo(1L << 40);
    assertThat(o.int32("int32")).isEqualTo(0x12345678);
    assertThat(o.bool("flag")).isTrue();
    assertThat(o.values().get("real")).isEqualTo(0.25);
    assertThat(o.values().get("name")).isEqualTo("hann");
    // Keys come back sorted, the order TFLM's positional readers rely on.
    assertThat(new java.util.ArrayList<>(o.values().keySet())).isSorted();
  }

  @Test
  void readsTypedAndUntypedVectors() {
    FlexBuffersBuilder b = new FlexBuffersBuilder(FlexBuffersBuilder.BUILDER_FLAG_NONE);
    int map = b.startMap();
    int v = b.startVector();
    for (long x : new long[] {1, -2, 300, 70000}) {
      b.putInt(x);
    }
    b.endVector("typed", v, true, false);
    int u = b.startVector();
    b.putInt(5);
    b.putFloat(1.5);
    b.endVector("mixed", u, false, false);
    int w = b.startVector();
    b.putUInt(0xFFFF_FFF0L);
    b.putUInt(7L);
    b.endVector("unsigned", w, false, false);
    b.endMap(null, map);
    FlexOptions o = FlexOptions.parse(bytes(b), "op");
    assertThat((long[]) o.values().get("typed")).containsExactly(1, -2, 300, 70000);
    assertThat((double[]) o.values().get("mixed")).containsExactly(5.0, 1.5);
    assertThat((long[]) o.values().get("unsigned")).containsExactly(0xFFFF_FFF0L, 7L);
  }

  @Test
  void randomIntegerMapsRoundTrip() {
    SplittableRandom rng = new SplittableRandom(15);
    for (int trial = 0; trial < 200; trial++) {
      FlexBuffersBuilder b = new FlexBuffersBuilder(FlexBuffersBuilder.BUILDER_FLAG_NONE);
      int map = b.startMap();
      int n = 1 + rng.nextInt(12);
      long[] values = new long[n];
      for (int i = 0; i < n; i++) {
        values[i] = switch (rng.nextInt(4)) {
          case 0 -> rng.nextInt(256) - 128;
          case 1 -> rng.nextInt(65536) - 32768;
          case 2 -> rng.nextInt();
          default -> rng.nextLong();
        };
        b.putInt(String.format("k%02d", i), values[i]);
      }
      b.endMap(null, map);
      FlexOptions o = FlexOptions.parse(bytes(b), "op");
      for (int i = 0; i < n; i++) {
        assertThat(o.integer(String.format("k%02d", i))).isEqualTo(values[i]);
      }
    }
  }

  @Test
  void emptyOptionsAreAnEmptyMap() {
    assertThat(FlexOptions.parse(new byte[0], "op").values()).isEmpty();
  }

  @Test
  void missingOrMistypedKeysNameTheOperator() {
    FlexBuffersBuilder b = new FlexBuffersBuilder(FlexBuffersBuilder.BUILDER_FLAG_NONE);
    int map = b.startMap();
    b.putString("shift", "twelve");
    b.putInt("big", 1L << 40);
    b.endMap(null, map);
    FlexOptions o = FlexOptions.parse(bytes(b), "operator 0 (SignalWindow)");
    assertThatThrownBy(() -> o.integer("absent")).isInstanceOf(KilnException.class)
        .hasMessage("operator 0 (SignalWindow): custom option 'absent' is missing");
    assertThatThrownBy(() -> o.integer("shift")).hasMessageContaining("is String, expected int");
    assertThatThrownBy(() -> o.int32("big")).hasMessageContaining("does not fit in 32 bits");
  }

  @Test
  void everyTruncationAndEveryCorruptByteIsAKilnExceptionOrAValue() {
    FlexBuffersBuilder b = new FlexBuffersBuilder(FlexBuffersBuilder.BUILDER_FLAG_NONE);
    int map = b.startMap();
    b.putInt("num_channels", 40);
    b.putInt("smoothing_bits", 10);
    b.putBoolean("clamping", false);
    b.endMap(null, map);
    byte[] good = bytes(b);
    for (int len = 1; len < good.length; len++) {
      byte[] cut = Arrays.copyOfRange(good, good.length - len, good.length);
      parseOrKilnException(cut);
    }
    SplittableRandom rng = new SplittableRandom(7);
    for (int trial = 0; trial < 2000; trial++) {
      byte[] bad = good.clone();
      bad[rng.nextInt(bad.length)] = (byte) rng.nextInt(256);
      parseOrKilnException(bad);
    }
  }

  private static void parseOrKilnException(byte[] bytes) {
    try {
      FlexOptions.parse(bytes, "op").values();
    } catch (KilnException e) {
      assertThat(e.getMessage()).startsWith("op: ");
    }
  }

  @Test
  void aRootThatIsNotAMapIsRejected() {
    FlexBuffersBuilder b = new FlexBuffersBuilder(FlexBuffersBuilder.BUILDER_FLAG_NONE);
    b.putInt(5);
    assertThatThrownBy(() -> FlexOptions.parse(bytes(b), "op"))
        .isInstanceOf(KilnException.class).hasMessageContaining("not a map");
  }
}
