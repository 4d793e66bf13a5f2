package io.kiln.isa.dla;

/**
 * One instruction of a DLA command stream. Records describe what the instruction does; how long
 * it takes is the simulator's question.
 */
public sealed interface Instruction {
  Opcode opcode();

  /** {@code set_reg}: writes {@code value} into {@code register}. */
  record SetReg(Register register, int value) implements Instruction {
    @Override
    public Opcode opcode() {
      return Opcode.SET_REG;
    }
  }

  /** {@code lut_load}: the 256 table outputs, for the inputs -128..127. */
  record LutLoad(byte[] table) implements Instruction {
    public LutLoad {
      if (table.length != 256) {
        throw new IllegalArgumentException("a lookup table has 256 entries, not " + table.length);
      }
      table = table.clone();
    }

    @Override
    public Opcode opcode() {
      return Opcode.LUT_LOAD;
    }

    @Override
    public byte[] table() {
      return table.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof LutLoad l && java.util.Arrays.equals(table, l.table);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(table);
    }
  }

  /**
   * A DMA start ({@code op_dma_read}, {@code op_dma_write}) or a wait for one ({@code sync}).
   *
   * @param id the transfer's id among its call's transfers (16 bits)
   * @param role the buffer role (a {@code Transfer.Kind} ordinal, 4 bits; 0 for sync)
   */
  record Dma(Opcode opcode, int id, int role) implements Instruction {
    public Dma {
      if (opcode.form() != Opcode.Form.DMA || id < 0 || id > 0xffff || role < 0 || role > 15) {
        throw new IllegalArgumentException(opcode.mnemonic() + " " + id + " role " + role);
      }
    }
  }

  /** A compute, post-processing or element-wise instruction with its flags (8 bits). */
  record Compute(Opcode opcode, int flags) implements Instruction {
    public Compute {
      if (opcode.form() != Opcode.Form.FLAGS || flags < 0 || flags > 0xff) {
        throw new IllegalArgumentException(opcode.mnemonic() + " flags " + flags);
      }
    }

    public boolean first() {
      return (flags & Opcode.FIRST) != 0;
    }

    public boolean last() {
      return (flags & Opcode.LAST) != 0;
    }
  }
}
