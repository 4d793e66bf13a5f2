package io.kiln.isa.dla;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The text form of a command stream, one instruction or register write a line:
 * {@code set_reg k 16}, {@code op_dma_read 3 role 1}, {@code sync 3}, {@code op_conv first last},
 * {@code op_pool avg}, {@code lut_load <512 hex digits>}. The disassembler prints it and the
 * assembler reads it back (blank lines and text after {@code #} are ignored).
 */
public final class Assembly {
  private Assembly() {}

  public static String line(Instruction i) {
    return switch (i) {
      case Instruction.SetReg s -> "set_reg " + s.register().field() + " " + s.value();
      case Instruction.LutLoad l -> "lut_load " + HexFormat.of().formatHex(l.table());
      case Instruction.Dma d -> d.opcode() == Opcode.SYNC ? "sync " + d.id()
          : d.opcode().mnemonic() + " " + d.id() + " role " + d.role();
      case Instruction.Compute c -> c.opcode().mnemonic() + flags(c);
    };
  }

  private static String flags(Instruction.Compute c) {
    if (c.opcode() == Opcode.OP_POOL) {
      return c.flags() == Opcode.AVG ? " avg" : c.flags() == 0 ? " max" : " flags " + c.flags();
    }
    if ((c.flags() & ~(Opcode.FIRST | Opcode.LAST)) != 0) {
      return " flags " + c.flags();
    }
    return (c.first() ? " first" : "") + (c.last() ? " last" : "");
  }

  /** The disassembly: one line per instruction, prefixed with its byte offset. */
  public static String disassemble(byte[] stream) {
    List<Integer> offsets = new ArrayList<>();
    List<Instruction> ins = Encoding.decode(stream, offsets);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ins.size(); i++) {
      sb.append(String.format("%08x  %s%n", offsets.get(i), line(ins.get(i))));
    }
    return sb.toString();
  }

  /** The instructions of an assembly text; a bad line is reported with its line number. */
  public static List<Instruction> assemble(String text) {
    List<Instruction> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int n = 0; n < lines.length; n++) {
      String l = lines[n];
      int hash = l.indexOf('#');
      l = (hash >= 0 ? l.substring(0, hash) : l).trim();
      // A disassembly's offset column is accepted and ignored.
      if (l.matches("[0-9a-f]{8}\\s+.*")) {
        l = l.substring(8).trim();
      }
      if (l.isEmpty()) {
        continue;
      }
      try {
        out.add(parse(l.split("\\s+")));
      } catch (IllegalArgumentException e) {
        throw StreamFormatException.atLine(n + 1, e.getMessage());
      }
    }
    return out;
  }

  private static Instruction parse(String[] t) {
    Opcode op = Opcode.ofMnemonic(t[0]).orElseThrow(() -> new IllegalArgumentException("unknown opcode '" + t[0]
        + "'"));
    return switch (op.form()) {
      case REGISTER -> {
        arity(t, 3);
        Register r = Register.ofField(t[1].toLowerCase(Locale.ROOT))
            .orElseThrow(() -> new IllegalArgumentException("unknown register '" + t[1] + "'"));
        yield new Instruction.SetReg(r, int32(t[2]));
      }
      case TABLE -> {
        arity(t, 2);
        if (!t[1].matches("[0-9a-fA-F]{512}")) {
          throw new IllegalArgumentException("lut_load takes 256 bytes as 512 hex digits");
        }
        yield new Instruction.LutLoad(HexFormat.of().parseHex(t[1]));
      }
      case DMA -> {
        if (op == Opcode.SYNC) {
          arity(t, 2);
          yield new Instruction.Dma(op, number(t[1], 0xffff), 0);
        }
        arity(t, 4);
        if (!t[2].equals("role")) {
          throw new IllegalArgumentException(op.mnemonic() + " ID role R");
        }
        yield new Instruction.Dma(op, number(t[1], 0xffff), number(t[3], 15));
      }
      case FLAGS -> {
        int flags = 0;
        for (int i = 1; i < t.length; i++) {
          switch (t[i]) {
            case "first" -> flags |= Opcode.FIRST;
            case "last" -> flags |= Opcode.LAST;
            case "avg" -> flags |= Opcode.AVG;
            case "max" -> { }
            case "flags" -> {
              flags |= number(i + 1 < t.length ? t[++i] : "", 0xff);
            }
            default -> throw new IllegalArgumentException("unknown flag '" + t[i] + "' of " + op.mnemonic());
          }
        }
        yield new Instruction.Compute(op, flags);
      }
    };
  }

  private static void arity(String[] t, int n) {
    if (t.length != n) {
      throw new IllegalArgumentException(t[0] + " takes " + (n - 1) + " operand(s), got " + (t.length - 1));
    }
  }

  private static int int32(String s) {
    try {
      long v = Long.decode(s);
      if (v < Integer.MIN_VALUE || v > 0xffffffffL) {
        throw new IllegalArgumentException("value " + s + " does not fit 32 bits");
      }
      return (int) v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number: '" + s + "'");
    }
  }

  private static int number(String s, int max) {
    int v = int32(s);
    if (v < 0 || v > max) {
      throw new IllegalArgumentException("operand " + s + " out of range 0.." + max);
    }
    return v;
  }
}
