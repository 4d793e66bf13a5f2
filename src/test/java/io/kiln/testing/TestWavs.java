package io.kiln.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds WAV files of any format in memory, for the tests of WAV reading and kiln kws. */
public final class TestWavs {
  private TestWavs() {}

  /** A RIFF/WAVE file with a 16-byte fmt chunk, optional extra chunk, and the data. */
  public static byte[] wav(int format, int channels, int rate, int bits, byte[] data, boolean extra) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer fmt = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    fmt.put("fmt ".getBytes()).putInt(16).putShort((short) format).putShort((short) channels)
        .putInt(rate).putInt(rate * channels * bits / 8).putShort((short) (channels * bits / 8))
        .putShort((short) bits);
    ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    int listBytes = extra ? 8 + 5 + 1 : 0;
    head.put("RIFF".getBytes()).putInt(4 + 24 + listBytes + 8 + data.length)
        .put("WAVE".getBytes());
    out.writeBytes(head.array());
    out.writeBytes(fmt.array());
    if (extra) {
      // An odd-sized chunk is padded to even length; the parser must skip the pad byte.
      ByteBuffer list = ByteBuffer.allocate(14).order(ByteOrder.LITTLE_ENDIAN);
      list.put("LIST".getBytes()).putInt(5).put("abcde".getBytes()).put((byte) 0);
      out.writeBytes(list.array());
    }
    ByteBuffer dh = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    dh.put("data".getBytes()).putInt(data.length);
    out.writeBytes(dh.array());
    out.writeBytes(data);
    return out.toByteArray();
  }

  public static byte[] pcm16(short... s) {
    ByteBuffer b = ByteBuffer.allocate(2 * s.length).order(ByteOrder.LITTLE_ENDIAN);
    for (short v : s) {
      b.putShort(v);
    }
    return b.array();
  }

}
