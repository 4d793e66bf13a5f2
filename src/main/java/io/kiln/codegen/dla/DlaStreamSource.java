package io.kiln.codegen.dla;

import io.kiln.codegen.CSource;
import io.kiln.isa.dla.Assembly;
import io.kiln.isa.dla.Encoding;
import io.kiln.isa.dla.Instruction;
import java.util.List;

/**
 * The C of one DLA call: its command stream as a const array of little-endian instruction words
 * (the encoded stream, header included), each instruction's disassembly beside it, and a function
 * that submits it through the HAL's {@code kiln_dla_submit}.
 */
public final class DlaStreamSource {
  private DlaStreamSource() {}

  public static void emit(CSource c, String name, String unit, String layer, List<Instruction> stream) {
    byte[] bin = Encoding.encode(stream);
    int words = bin.length / 4;
    c.line("static const uint32_t %s_stream[%d] = {", name, words);
    c.line("  0x%08xu, 0x%08xu, /* KDLA, version */", word(bin, 0), word(bin, 1));
    int w = 2;
    for (Instruction i : stream) {
      int n = switch (i) {
        case Instruction.SetReg s -> 2;
        case Instruction.LutLoad l -> 65;
        default -> 1;
      };
      StringBuilder sb = new StringBuilder("  ");
      for (int k = 0; k < n; k++) {
        sb.append(String.format("0x%08xu,%s", word(bin, w + k), k + 1 < n ? " " : ""));
      }
      String text = i instanceof Instruction.LutLoad ? "lut_load" : Assembly.line(i);
      c.line("%s /* %s */", sb, CSource.commentSafe(text));
      w += n;
    }
    c.line("};");
    c.open("static void %s(void)", name);
    c.line("kiln_dla_submit(KILN_UNIT_%s, \"%s\", %s_stream, %d);", unit, layer, name, words);
    c.close().blank();
  }

  private static int word(byte[] b, int i) {
    int p = 4 * i;
    return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
  }
}
