package io.kiln.isa.dla;

import java.util.Locale;
import java.util.Optional;

/**
 * The opcodes of the DLA instruction set: the top byte of an instruction word. Compute and
 * post-processing instructions take their geometry, addresses and requantization parameters from
 * the configuration registers ({@link Register}); the low 24 bits carry only flags or a DMA id.
 */
public enum Opcode {
  /** Writes the following word into the register numbered by bits 0..7. */
  SET_REG(0x01, Form.REGISTER),
  /** Loads the following 64 words (256 int8 outputs of inputs -128..127) into the lookup table. */
  LUT_LOAD(0x02, Form.TABLE),
  /** Waits until the DMA with the id in bits 0..15 has finished. */
  SYNC(0x03, Form.DMA),
  /** System memory to SRAM: the DMA_* registers, id in bits 0..15, buffer role in bits 16..19. */
  OP_DMA_READ(0x10, Form.DMA),
  /** SRAM to system memory, as {@link #OP_DMA_READ}. */
  OP_DMA_WRITE(0x11, Form.DMA),
  /** Conv2D (and FullyConnected as a 1x1 conv): int8 in; int32 partial sums, or int8 out (flag LAST). */
  OP_CONV(0x20, Form.FLAGS),
  /** Conv2D with the ReLU clamp at the output zero point, int8 out. */
  OP_CONV_RELU(0x21, Form.FLAGS),
  /** Depthwise conv: one filter per channel, int32 partial sums or int8 out. */
  OP_DEPTH_CONV(0x22, Form.FLAGS),
  /** int8 [M=OY, K=C] x int8 [K=C, N=K] to int32, input zero point subtracted. */
  OP_MAT_MUL(0x23, Form.FLAGS),
  /** int8 ReLU: max(x, OUT_ZP), then clamped to ACT_MIN..ACT_MAX. */
  OP_ACT_RELU(0x30, Form.FLAGS),
  /** int8 leaky ReLU: requantized by (MULT, SHIFT) at or above IN_ZP, by (MULT2, SHIFT2) below. */
  OP_ACT_LRELU(0x31, Form.FLAGS),
  /** Max pooling, or average pooling with flag AVG. */
  OP_POOL(0x32, Form.FLAGS),
  /** The loaded lookup table applied to every int8 element. */
  OP_LUT(0x33, Form.FLAGS),
  /** int8 saturating absolute value. */
  OP_E_ABS(0x40, Form.FLAGS),
  /** int8 element-wise minimum of two tiles. */
  OP_C_MIN(0x41, Form.FLAGS),
  /** int8 element-wise maximum of two tiles. */
  OP_C_MAX(0x42, Form.FLAGS),
  /** int8 element-wise add (TFLite's scheme, the ADD_* registers). */
  OP_E_ADD(0x43, Form.FLAGS),
  /** int32 element-wise wrapping add. */
  OP_E32_ADD(0x44, Form.FLAGS),
  /** int32 to int8: fixed-point multiply by (MULT, SHIFT), + OUT_ZP, clamp. */
  OP_REQUANT32(0x45, Form.FLAGS);

  /** How the low 24 bits and the words after the instruction word are read. */
  public enum Form {
    REGISTER, TABLE, DMA, FLAGS
  }

  /** Compute flag: the tile starts its sums from the bias. */
  public static final int FIRST = 1;
  /** Compute flag: the tile finishes the reduction and writes int8 through the output stage. */
  public static final int LAST = 2;
  /** Pool flag: average instead of max. */
  public static final int AVG = 1;

  private final int code;
  private final Form form;

  Opcode(int code, Form form) {
    this.code = code;
    this.form = form;
  }

  public int code() {
    return code;
  }

  public Form form() {
    return form;
  }

  public String mnemonic() {
    return name().toLowerCase(Locale.ROOT);
  }

  private static final Opcode[] BY_CODE = new Opcode[256];

  static {
    for (Opcode o : values()) {
      BY_CODE[o.code] = o;
    }
  }

  public static Optional<Opcode> ofCode(int code) {
    return code < 0 || code > 255 ? Optional.empty() : Optional.ofNullable(BY_CODE[code]);
  }

  public static Optional<Opcode> ofMnemonic(String m) {
    for (Opcode o : values()) {
      if (o.mnemonic().equals(m.toLowerCase(Locale.ROOT))) {
        return Optional.of(o);
      }
    }
    return Optional.empty();
  }
}
