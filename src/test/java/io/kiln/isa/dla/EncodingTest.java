package io.kiln.isa.dla;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every instruction survives binary encoding and the assembly text; malformed streams name their offset. */
class EncodingTest {
  /** One instance of {@code op} with non-trivial operands. */
  static Instruction sample(Opcode op, Random r) {
    return switch (op.form()) {
      case REGISTER -> new Instruction.SetReg(Register.values()[r.nextInt(Register.COUNT)], r.nextInt());
      case TABLE -> {
        byte[] t = new byte[256];
        r.nextBytes(t);
        yield new Instruction.LutLoad(t);
      }
      case DMA -> new Instruction.Dma(op, r.nextInt(0x10000), op == Opcode.SYNC ? 0 : r.nextInt(16));
      case FLAGS -> new Instruction.Compute(op, op == Opcode.OP_POOL ? Opcode.AVG : Opcode.FIRST | Opcode.LAST);
    };
  }

  @ParameterizedTest
  @EnumSource(Opcode.class)
  void everyOpcodeRoundTripsThroughBinaryAndText(Opcode op) {
    Random r = new Random(op.code());
    for (int i = 0; i < 50; i++) {
      Instruction ins = sample(op, r);
      byte[] bin = Encoding.encode(List.of(ins));
      List<Integer> offsets = new ArrayList<>();
      assertThat(Encoding.decode(bin, offsets)).containsExactly(ins);
      assertThat(offsets).containsExactly(Encoding.HEADER);
      assertThat((bin[Encoding.HEADER + 3] & 0xff)).isEqualTo(op.code());
      assertThat(Assembly.assemble(Assembly.line(ins))).containsExactly(ins);
    }
  }

  @Test
  void wordLayoutIsOpcodeInTheTopByte() {
    byte[] bin = Encoding.encode(List.of(new Instruction.SetReg(Register.K, 0x12345678),
        new Instruction.Dma(Opcode.OP_DMA_READ, 7, 2), new Instruction.Compute(Opcode.OP_CONV, 3)));
    int[] w = new int[(bin.length - 8) / 4];
    for (int i = 0; i < w.length; i++) {
      int p = 8 + 4 * i;
      w[i] = (bin[p] & 0xff) | (bin[p + 1] & 0xff) << 8 | (bin[p + 2] & 0xff) << 16 | (bin[p + 3] & 0xff) << 24;
    }
    assertThat(Arrays.copyOf(bin, 4)).isEqualTo("KDLA".getBytes());
    assertThat(w).containsExactly(0x01000000 | Register.K.ordinal(), 0x12345678, 0x10020007, 0x20000003);
  }

  @Test
  void disassemblyAssemblesBack() {
    Random r = new Random(11);
    List<Instruction> stream = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      stream.add(sample(Opcode.values()[r.nextInt(Opcode.values().length)], r));
    }
    String text = Assembly.disassemble(Encoding.encode(stream));
    assertThat(text.lines()).hasSize(200);
    assertThat(Assembly.assemble(text)).isEqualTo(stream);
  }

  private static byte[] stream(int... words) {
    byte[] b = new byte[8 + 4 * words.length];
    System.arraycopy("KDLA".getBytes(), 0, b, 0, 4);
    b[4] = 1;
    for (int i = 0; i < words.length; i++) {
      for (int k = 0; k < 4; k++) {
        b[8 + 4 * i + k] = (byte) (words[i] >>> (8 * k));
      }
    }
    return b;
  }

  @Test
  void malformedStreamsNameOffsetAndProblem() {
    assertThatThrownBy(() -> Encoding.decode(stream(0x20000003, 0x7f000000), null))
        .isInstanceOf(StreamFormatException.class).hasMessage("at offset 12: unknown opcode 0x7f");
    assertThatThrownBy(() -> Encoding.decode(stream(0x20000000, 0x01000000 | 200, 5), null))
        .hasMessage("at offset 12: register 200 out of range (the file has " + Register.COUNT + " registers)");
    assertThatThrownBy(() -> Encoding.decode(stream(0x01000001), null))
        .hasMessage("at offset 8: truncated: set_reg in_mem has no value word");
    byte[] cut = Arrays.copyOf(stream(0x20000000, 0x20000000), 14);
    assertThatThrownBy(() -> Encoding.decode(cut, null))
        .hasMessage("at offset 12: truncated: 2 bytes left of an instruction word");
    assertThatThrownBy(() -> Encoding.decode(stream(0x02000000, 1, 2), null))
        .hasMessage("at offset 8: truncated: lut_load needs 256 table bytes, 8 left");
    assertThatThrownBy(() -> Encoding.decode("ELF\0xxxx".getBytes(), null))
        .hasMessage("at offset 0: not a DLA command stream (no KDLA magic)");
    assertThatThrownBy(() -> Encoding.decode(new byte[3], null)).hasMessageContaining("at offset 3: truncated");
    assertThatThrownBy(() -> Encoding.decode(stream(0x20000100), null))
        .hasMessage("at offset 8: op_conv with reserved bits set");
    assertThatThrownBy(() -> Encoding.decode(stream(0x10f00000), null))
        .hasMessage("at offset 8: op_dma_read with reserved bits set");
  }

  @Test
  void badAssemblyNamesItsLine() {
    assertThatThrownBy(() -> Assembly.assemble("op_conv first\nop_frob\n"))
        .hasMessage("line 2: unknown opcode 'op_frob'");
    assertThatThrownBy(() -> Assembly.assemble("set_reg nowhere 1")).hasMessageContaining("unknown register 'nowhere'");
    assertThatThrownBy(() -> Assembly.assemble("set_reg k 99999999999")).hasMessageContaining("does not fit 32 bits");
    assertThatThrownBy(() -> Assembly.assemble("sync 70000")).hasMessageContaining("out of range 0..65535");
    assertThatThrownBy(() -> Assembly.assemble("op_pool sideways")).hasMessageContaining("unknown flag 'sideways'");
  }
}
