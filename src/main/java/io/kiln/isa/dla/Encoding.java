package io.kiln.isa.dla;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a command stream: the magic {@code KDLA}, a version word, then
 * little-endian 32-bit instruction words. An instruction word is {@code opcode << 24 | operand};
 * {@code set_reg} is followed by its value word and {@code lut_load} by 64 table words. Decoding
 * rejects anything else with the byte offset of the offending word.
 */
public final class Encoding {
  private Encoding() {}

  static final byte[] MAGIC = {'K', 'D', 'L', 'A'};
  public static final int VERSION = 1;
  /** Bytes before the first instruction. */
  public static final int HEADER = 8;

  public static byte[] encode(List<Instruction> stream) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(MAGIC);
    word(out, VERSION);
    for (Instruction i : stream) {
      int op = i.opcode().code() << 24;
      switch (i) {
        case Instruction.SetReg s -> {
          word(out, op | s.register().ordinal());
          word(out, s.value());
        }
        case Instruction.LutLoad l -> {
          word(out, op);
          out.writeBytes(l.table());
        }
        case Instruction.Dma d -> word(out, op | d.role() << 16 | d.id());
        case Instruction.Compute c -> word(out, op | c.flags());
      }
    }
    return out.toByteArray();
  }

  private static void word(ByteArrayOutputStream out, int w) {
    out.write(w);
    out.write(w >>> 8);
    out.write(w >>> 16);
    out.write(w >>> 24);
  }

  private static int word(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
  }

  /** The instructions of {@code bytes}, with the byte offset of each in {@code offsets} when not null. */
  public static List<Instruction> decode(byte[] bytes, List<Integer> offsets) {
    if (bytes.length < HEADER) {
      throw new StreamFormatException(bytes.length, "truncated: a stream starts with an 8-byte header, the file has "
          + bytes.length + " bytes");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[i] != MAGIC[i]) {
        throw new StreamFormatException(0, "not a DLA command stream (no KDLA magic)");
      }
    }
    if (word(bytes, 4) != VERSION) {
      throw new StreamFormatException(4, "unsupported stream version " + word(bytes, 4) + " (this is version "
          + VERSION + ")");
    }
    List<Instruction> out = new ArrayList<>();
    int at = HEADER;
    while (at < bytes.length) {
      if (bytes.length - at < 4) {
        throw new StreamFormatException(at, "truncated: " + (bytes.length - at) + " bytes left of an instruction word");
      }
      int w = word(bytes, at);
      int code = w >>> 24;
      int operand = w & 0xffffff;
      int start = at;
      Opcode op = Opcode.ofCode(code).orElseThrow(() -> new StreamFormatException(start,
          String.format("unknown opcode 0x%02x", code)));
      at += 4;
      Instruction ins = switch (op.form()) {
        case REGISTER -> {
          if (operand > 0xff) {
            throw new StreamFormatException(start, "set_reg with reserved bits set (0x" + Integer.toHexString(w) + ")");
          }
          Register r = Register.ofIndex(operand).orElseThrow(() -> new StreamFormatException(start,
              "register " + operand + " out of range (the file has " + Register.COUNT + " registers)"));
          if (bytes.length - at < 4) {
            throw new StreamFormatException(start, "truncated: set_reg " + r.field() + " has no value word");
          }
          int v = word(bytes, at);
          at += 4;
          yield new Instruction.SetReg(r, v);
        }
        case TABLE -> {
          if (operand != 0) {
            throw new StreamFormatException(start, "lut_load with reserved bits set");
          }
          if (bytes.length - at < 256) {
            throw new StreamFormatException(start, "truncated: lut_load needs 256 table bytes, "
                + (bytes.length - at) + " left");
          }
          byte[] t = java.util.Arrays.copyOfRange(bytes, at, at + 256);
          at += 256;
          yield new Instruction.LutLoad(t);
        }
        case DMA -> {
          if (operand >>> 20 != 0) {
            throw new StreamFormatException(start, op.mnemonic() + " with reserved bits set");
          }
          yield new Instruction.Dma(op, operand & 0xffff, operand >>> 16);
        }
        case FLAGS -> {
          if (operand > 0xff) {
            throw new StreamFormatException(start, op.mnemonic() + " with reserved bits set");
          }
          yield new Instruction.Compute(op, operand);
        }
      };
      if (offsets != null) {
        offsets.add(start);
      }
      out.add(ins);
    }
    return out;
  }
}
