package io.kiln.kws;

import io.kiln.KilnException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A 16-bit PCM mono WAV file (RIFF/WAVE with a {@code fmt } and a {@code data} chunk), the
 * input of {@code kiln kws}. Anything else is refused with one line naming what the file is.
 */
public record Wav(int sampleRate, short[] samples) {
  private static final int PCM = 1;
  private static final int EXTENSIBLE = 0xFFFE;

  /** Reads {@code file}; {@code expectedRate} is the sample rate the front-end was built for. */
  public static Wav read(Path file, int expectedRate) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new KilnException("cannot read " + file + ": " + e.getMessage());
    }
    return parse(bytes, file.toString(), expectedRate);
  }

  public static Wav parse(byte[] bytes, String name, int expectedRate) {
    if (bytes.length == 0) {
      throw new KilnException(name + " is empty, not a WAV file");
    }
    if (bytes.length < 12) {
      throw new KilnException(name + ": truncated WAV header (" + bytes.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (!tag(bytes, 0, "RIFF") || !tag(bytes, 8, "WAVE")) {
      throw new KilnException(name + " is not a WAV file (no RIFF/WAVE header)");
    }
    int at = 12;
    int format = -1;
    int channels = 0;
    int rate = 0;
    int bits = 0;
    while (at + 8 <= bytes.length) {
      String id = new String(bytes, at, 4, java.nio.charset.StandardCharsets.US_ASCII);
      long size = Integer.toUnsignedLong(b.getInt(at + 4));
      int body = at + 8;
      if (id.equals("fmt ")) {
        if (size < 16 || body + 16 > bytes.length) {
          throw new KilnException(name + ": truncated WAV header (the fmt chunk is cut short)");
        }
        format = b.getShort(body) & 0xFFFF;
        channels = b.getShort(body + 2) & 0xFFFF;
        rate = b.getInt(body + 4);
        bits = b.getShort(body + 14) & 0xFFFF;
        if (format == EXTENSIBLE && size >= 40 && body + 26 <= bytes.length) {
          format = b.getShort(body + 24) & 0xFFFF; // the sub-format GUID starts with the code
        }
      } else if (id.equals("data")) {
        if (format < 0) {
          throw new KilnException(name + ": truncated WAV header (no fmt chunk before the data)");
        }
        check(name, format, channels, rate, bits, expectedRate);
        // A streaming writer may leave the size unset; the samples then run to the end.
        long avail = bytes.length - body;
        long n = size == 0xFFFF_FFFFL || size > avail ? avail : size;
        if (n < 2) {
          throw new KilnException(name + " has no audio samples");
        }
        short[] samples = new short[(int) (n / 2)];
        ByteBuffer d = ByteBuffer.wrap(bytes, body, (int) n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < samples.length; i++) {
          samples[i] = d.getShort();
        }
        return new Wav(rate, samples);
      }
      at = (int) Math.min(Integer.MAX_VALUE, body + size + (size & 1));
    }
    throw new KilnException(name + ": truncated WAV header (" + (format < 0 ? "no fmt chunk"
        : "no data chunk") + ")");
  }

  private static void check(String name, int format, int channels, int rate, int bits,
      int expectedRate) {
    if (format != PCM) {
      throw new KilnException(name + " is not PCM (WAV format code " + format
          + "); kiln kws needs 16-bit PCM mono");
    }
    if (bits != 16) {
      throw new KilnException(name + " has " + bits + "-bit samples; kiln kws needs 16-bit PCM"
          + " mono");
    }
    if (channels != 1) {
      throw new KilnException(name + " has " + channels + " channels; kiln kws needs mono");
    }
    if (rate != expectedRate) {
      throw new KilnException(name + " is sampled at " + rate + " Hz; the front-end expects "
          + expectedRate + " Hz (resample it first)");
    }
  }

  private static boolean tag(byte[] b, int at, String t) {
    for (int i = 0; i < 4; i++) {
      if (b[at + i] != t.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Duration in milliseconds. */
  public double millis() {
    return samples.length * 1000.0 / sampleRate;
  }
}
