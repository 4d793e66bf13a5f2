package io.kiln.isa.dla;

import java.util.Locale;
import java.util.Optional;

/**
 * The configuration register file of the DLA: 32-bit registers that the host writes with
 * {@code set_reg} and that keep their values across instructions, so a stream resends only what
 * changed. Register {@code n} is the enum constant of ordinal {@code n}; the job registers are
 * named as the fields of the HAL's {@code kiln_job} descriptor (kiln_hal.h), the DMA ones as its
 * {@code kiln_dma_desc}; {@code mult}/{@code shift} (and {@code mult2}/{@code shift2}) are the
 * fixed-point multipliers of the standalone requantizing instructions, {@code in_pitch}/{@code out_pitch} the channel count of the stored input and
 * output tiles when an instruction reads a one-channel view of them (0: dense), {@code tile} the tile an
 * instruction belongs to (for the simulator's events).
 */
public enum Register {
  STAGE,
  IN_MEM,
  W_MEM,
  P_MEM,
  OUT_MEM,
  OPD_MEM,
  IN,
  W,
  P,
  OUT,
  OPD,
  K,
  C,
  ROWS,
  COLS,
  OY,
  OX,
  FY,
  FX,
  SY,
  SX,
  DY,
  DX,
  Y0,
  X0,
  IN_SHIFT,
  IN_BITS,
  IN_ZP,
  OUT_ZP,
  ACT_MIN,
  ACT_MAX,
  FOLD,
  HAS_BIAS,
  P_BYTES,
  W_BITS,
  KB,
  CB,
  S_KB,
  S_KI,
  S_CB,
  S_CI,
  S_FY,
  S_FX,
  ADD_LEFT_SHIFT,
  ADD_IN_OFFSET,
  ADD_IN_MULT,
  ADD_IN_SHIFT,
  ADD_OPD_OFFSET,
  ADD_OPD_MULT,
  ADD_OPD_SHIFT,
  ADD_OUT_MULT,
  ADD_OUT_SHIFT,
  FUSE_ADD,
  CONV_IS_LHS,
  SADD_STAGE,
  SADD_LHS_SHIFT,
  SADD_RHS_SHIFT,
  SADD_LHS_ZP,
  SADD_RHS_ZP,
  SADD_OUT_ZP,
  SADD_MIN,
  SADD_MAX,
  POOL_KIND,
  POOL_Y,
  POOL_X,
  POOL_STAGE,
  POOL_SHIFT,
  POOL_IN_ZP,
  POOL_OUT_ZP,
  POOL_MIN,
  POOL_MAX,
  CHW,
  IN_PITCH,
  OUT_PITCH,
  MULT,
  SHIFT,
  MULT2,
  SHIFT2,
  TILE,
  DMA_SRC_MEM,
  DMA_DST_MEM,
  DMA_SRC,
  DMA_DST,
  DMA_RUN,
  DMA_ROWS,
  DMA_PLANES,
  DMA_SRC_ROW,
  DMA_SRC_PLANE,
  DMA_DST_ROW,
  DMA_DST_PLANE;

  /** The number of registers; indices at or above it are out of range. */
  public static final int COUNT = values().length;

  /** The lower-case name, as the job field and the assembly text spell it. */
  public String field() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Register> ofIndex(int i) {
    return i >= 0 && i < COUNT ? Optional.of(values()[i]) : Optional.empty();
  }

  public static Optional<Register> ofField(String f) {
    for (Register r : values()) {
      if (r.field().equals(f)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
