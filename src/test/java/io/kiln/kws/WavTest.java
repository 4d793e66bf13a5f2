package io.kiln.kws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import static io.kiln.testing.TestWavs.pcm16;
import static io.kiln.testing.TestWavs.wav;

/** WAV parsing: what kiln kws accepts, and one clear line for everything it refuses. */
class WavTest {

  @Test
  void readsSixteenBitMonoPcmAndSkipsOtherChunks() {
    Wav w = Wav.parse(wav(1, 1, 16000, 16, pcm16((short) 1, (short) -2, (short) 32767), true),
        "a.wav", 16000);
    assertThat(w.sampleRate()).isEqualTo(16000);
    assertThat(w.samples()).containsExactly((short) 1, (short) -2, (short) 32767);
  }

  @Test
  void everyBadFileIsOneLine() {
    byte[] good = wav(1, 1, 16000, 16, pcm16(new short[100]), false);
    assertRefused(new byte[0], "x.wav is empty, not a WAV file");
    assertRefused(Arrays.copyOf(good, 8), "x.wav: truncated WAV header (8 bytes)");
    assertRefused(Arrays.copyOf(good, 30), "x.wav: truncated WAV header (the fmt chunk is cut"
        + " short)");
    assertRefused(Arrays.copyOf(good, 36), "x.wav: truncated WAV header (no data chunk)");
    assertRefused(wav(1, 1, 16000, 8, new byte[100], false),
        "x.wav has 8-bit samples; kiln kws needs 16-bit PCM mono");
    assertRefused(wav(1, 2, 16000, 16, pcm16(new short[100]), false),
        "x.wav has 2 channels; kiln kws needs mono");
    assertRefused(wav(1, 1, 44100, 16, pcm16(new short[100]), false),
        "x.wav is sampled at 44100 Hz; the front-end expects 16000 Hz (resample it first)");
    assertRefused(wav(3, 1, 16000, 32, new byte[400], false),
        "x.wav is not PCM (WAV format code 3); kiln kws needs 16-bit PCM mono");
    assertRefused(wav(1, 1, 16000, 16, new byte[0], false), "x.wav has no audio samples");
    assertRefused("not a wav file at all".getBytes(), "x.wav is not a WAV file (no RIFF/WAVE"
        + " header)");
  }

  @Test
  void everyTruncationOfAGoodFileIsAValueOrOneLine() {
    byte[] good = wav(1, 1, 16000, 16, pcm16(new short[40]), true);
    for (int n = 0; n < good.length; n++) {
      try {
        Wav.parse(Arrays.copyOf(good, n), "t.wav", 16000);
      } catch (KilnException e) {
        assertThat(e.getMessage()).startsWith("t.wav").doesNotContain("\n");
      }
    }
  }

  private static void assertRefused(byte[] bytes, String message) {
    assertThatThrownBy(() -> Wav.parse(bytes, "x.wav", 16000)).isInstanceOf(KilnException.class)
        .hasMessage(message);
  }
}
