/* Kiln's hardware-abstraction layer: what generated code needs from a SoC to run accelerator
 * layers. Memories are numbered (KILN_MEM_* in kiln_memories.h); addresses are byte offsets into
 * them. A target implements these functions with its DMA engines and accelerator registers;
 * kiln_hal_host.c implements them on a workstation with bounds-checked copies and a functional
 * model of each unit, so the generated program runs and can be compared with Kiln's interpreter. */
#ifndef KILN_HAL_H
#define KILN_HAL_H

#include <stddef.h>
#include <stdint.h>

/* One memory of the description: its name, where the program keeps it, and its size. */
typedef struct {
  const char *name;
  uint8_t *base;
  uint32_t size;
} kiln_memory;

/* A 1-D, 2-D or 3-D copy: planes x rows x run bytes; row r of plane p starts at
 * src + p * src_plane + r * src_row and lands at dst + p * dst_plane + r * dst_row. */
typedef struct {
  uint8_t src_mem, dst_mem;
  uint32_t src, dst;
  uint32_t run, rows, planes;
  uint32_t src_row, src_plane, dst_row, dst_plane;
} kiln_dma_desc;

/* Where a job runs, for messages: the layer's name and the tile's index. */
typedef struct {
  const char *layer;
  int tile;
} kiln_where;

/* Job kinds. */
enum {
  KILN_JOB_CONV = 1,     /* conv2d and fully connected (a 1x1 conv over a 1 x batch image) */
  KILN_JOB_DEPTHWISE = 2,
  KILN_JOB_MAX_POOL = 3,
  KILN_JOB_AVG_POOL = 4,
  KILN_JOB_ADD = 5,
  KILN_JOB_LUT = 6,      /* an int8 activation: out = lut[in + 128] (a unit's lookup table) */
  KILN_JOB_MATMUL = 7    /* one batch of an int8 matmul: the weights are the right operand's tile */
};

/* Output stages. */
enum {
  KILN_STAGE_FIXED_POINT = 1, /* TFLite: acc + bias, Q31 multiplier and shift, + zero point, clamp */
  KILN_STAGE_SHIFT_FLOOR = 2, /* (acc + bias) >> s rounded down, + zero point, clamp */
  KILN_STAGE_SHIFT_HALF_UP = 3 /* (acc + bias + 2^(s-1)) >> s, + zero point, clamp */
};

/* One tile of a layer on a unit. Activation tiles are HWC or CHW (chw) of the tile's own extent
 * in the unit's L1; while the reduction over C is split, the output buffer holds int32 partial sums in
 * the same order and the last C tile writes the int8 outputs at its start. Weight (k, c, fy, fx)
 * of the tile sits at bit  (k / kb) * s_kb + (k % kb) * s_ki + (c / cb) * s_cb + (c % cb) * s_ci
 * + fy * s_fy + fx * s_fx  of the weight buffer, w_bits wide (two's complement). Parameter
 * records (one per output channel, p_bytes each): [bias int32 if has_bias] then, for a fixed-point
 * stage, [multiplier int32][shift int8], for a shift stage [right shift int8] (negative: a left
 * shift), little-endian. A padded tap reads in_zp, the narrowed input zero point. */
typedef struct {
  uint8_t kind, stage, first, last;
  uint8_t in_mem, w_mem, p_mem, out_mem, opd_mem;
  uint32_t in, w, p, out, opd;
  int32_t k, c, rows, cols, oy, ox;
  int32_t fy, fx, sy, sx, dy, dx, y0, x0;
  int32_t in_shift, in_bits; /* inputs narrowed: clamp(x >> in_shift) to in_bits (8, 0: unchanged) */
  int32_t in_zp, out_zp, act_min, act_max;
  int32_t fold; /* the bias has -in_zp * sum(w) folded in: sum x * w, padding reading in_zp */
  int32_t has_bias, p_bytes;
  int32_t w_bits, kb, cb;
  uint32_t s_kb, s_ki, s_cb, s_ci, s_fy, s_fx;
  /* N:M sparse weights when nm_n > 0 (io.kiln.plan.weights.NmTiles; the strides above are unused):
   * the weight buffer holds k * nm_vals entries, first their int8 values, then their offsets,
   * nm_obits bits each, packed from bit 0 of the byte after the last value. Channels go in blocks of
   * nm_kb (the last may be narrower, w wide): entry (k / nm_kb) * nm_kb * nm_vals + v * w + k % nm_kb
   * is value v of channel k, the weight at index (v / nm_n) * nm_m + its offset of the tile's
   * reduction, taps (fy, fx) outermost and the tile's c innermost. */
  int32_t nm_n, nm_m, nm_obits, nm_vals, nm_kb;
  /* Element-wise Add (TFLite's int8 scheme): operands offset, shifted left, each rescaled, summed,
   * rescaled to the output. */
  int32_t add_left_shift, add_in_offset, add_in_mult, add_in_shift, add_opd_offset, add_opd_mult,
      add_opd_shift, add_out_mult, add_out_shift;
  /* Stages fused after a conv's output stage, on the last C tile, in place in the output buffer:
   * a residual Add of the operand tile (fuse_add 1: TFLite's scheme with the add_* fields, the conv
   * output as its input; 2: shift-only, see below; both add sadd_out_zp and clamp to sadd_min/max), then a pooling of whole pool_y x pool_x
   * windows (pool_kind 1 max, 2 average). */
  int32_t fuse_add, conv_is_lhs;
  /* Shift-only Add: v = ((a - lhs_zp) << (S - lhs_shift)) + ((b - rhs_zp) << (S - rhs_shift)),
   * S = max of the shifts, then shifted right by S with sadd_stage's rounding, + out_zp, clamp. */
  int32_t sadd_stage, sadd_lhs_shift, sadd_rhs_shift, sadd_lhs_zp, sadd_rhs_zp, sadd_out_zp, sadd_min,
      sadd_max;
  /* Pooling: pool_shift < 0 averages as TFLite does (rounded division); otherwise the window's
   * sum of (x - pool_in_zp) is shifted right by pool_shift with pool_stage's rounding, + out zp. */
  int32_t pool_kind, pool_y, pool_x, pool_stage, pool_shift, pool_in_zp, pool_out_zp, pool_min, pool_max;
  /* Activation tiles (input, output, operand) are CHW when 1 (element (r, c, ch) of an R x C x CH
   * tile at (ch * R + r) * C + c), HWC when 0 (at (r * C + c) * CH + ch). */
  int32_t chw;
  /* KILN_JOB_LUT: the 256 outputs of the int8 inputs -128..127, which the host loads into the unit. */
  const int8_t *lut;
  /* KILN_JOB_MATMUL: a 1x1 conv job whose weights (the right operand, k x c, no parameter
   * records) have zero point w_zp: it sums (x - in_zp) * (w - w_zp), and its last C tile
   * requantizes with the tensor's TFLite multiplier mm_mult and shift mm_shift, + out_zp, clamped. */
  int32_t w_zp, mm_mult, mm_shift;
} kiln_job;

/* The memories the program uses, indexed by KILN_MEM_*; provided by the generated code. */
extern const kiln_memory kiln_memories[];
extern const int kiln_memory_count;

/* The DLA's configuration registers (io.kiln.isa.dla.Register, same order; see docs/dla-isa.md). */
enum {
  KILN_DLA_STAGE, KILN_DLA_IN_MEM, KILN_DLA_W_MEM, KILN_DLA_P_MEM, KILN_DLA_OUT_MEM, KILN_DLA_OPD_MEM,
  KILN_DLA_IN, KILN_DLA_W, KILN_DLA_P, KILN_DLA_OUT, KILN_DLA_OPD, KILN_DLA_K,
  KILN_DLA_C, KILN_DLA_ROWS, KILN_DLA_COLS, KILN_DLA_OY, KILN_DLA_OX, KILN_DLA_FY,
  KILN_DLA_FX, KILN_DLA_SY, KILN_DLA_SX, KILN_DLA_DY, KILN_DLA_DX, KILN_DLA_Y0,
  KILN_DLA_X0, KILN_DLA_IN_SHIFT, KILN_DLA_IN_BITS, KILN_DLA_IN_ZP, KILN_DLA_OUT_ZP, KILN_DLA_ACT_MIN,
  KILN_DLA_ACT_MAX, KILN_DLA_FOLD, KILN_DLA_HAS_BIAS, KILN_DLA_P_BYTES, KILN_DLA_W_BITS, KILN_DLA_KB,
  KILN_DLA_CB, KILN_DLA_S_KB, KILN_DLA_S_KI, KILN_DLA_S_CB, KILN_DLA_S_CI, KILN_DLA_S_FY,
  KILN_DLA_S_FX, KILN_DLA_ADD_LEFT_SHIFT, KILN_DLA_ADD_IN_OFFSET, KILN_DLA_ADD_IN_MULT, KILN_DLA_ADD_IN_SHIFT, KILN_DLA_ADD_OPD_OFFSET,
  KILN_DLA_ADD_OPD_MULT, KILN_DLA_ADD_OPD_SHIFT, KILN_DLA_ADD_OUT_MULT, KILN_DLA_ADD_OUT_SHIFT, KILN_DLA_FUSE_ADD, KILN_DLA_CONV_IS_LHS,
  KILN_DLA_SADD_STAGE, KILN_DLA_SADD_LHS_SHIFT, KILN_DLA_SADD_RHS_SHIFT, KILN_DLA_SADD_LHS_ZP, KILN_DLA_SADD_RHS_ZP, KILN_DLA_SADD_OUT_ZP,
  KILN_DLA_SADD_MIN, KILN_DLA_SADD_MAX, KILN_DLA_POOL_KIND, KILN_DLA_POOL_Y, KILN_DLA_POOL_X, KILN_DLA_POOL_STAGE,
  KILN_DLA_POOL_SHIFT, KILN_DLA_POOL_IN_ZP, KILN_DLA_POOL_OUT_ZP, KILN_DLA_POOL_MIN, KILN_DLA_POOL_MAX, KILN_DLA_CHW,
  KILN_DLA_IN_PITCH, KILN_DLA_OUT_PITCH, KILN_DLA_MULT, KILN_DLA_SHIFT, KILN_DLA_MULT2, KILN_DLA_SHIFT2,
  KILN_DLA_TILE, KILN_DLA_DMA_SRC_MEM, KILN_DLA_DMA_DST_MEM, KILN_DLA_DMA_SRC, KILN_DLA_DMA_DST, KILN_DLA_DMA_RUN,
  KILN_DLA_DMA_ROWS, KILN_DLA_DMA_PLANES, KILN_DLA_DMA_SRC_ROW, KILN_DLA_DMA_SRC_PLANE, KILN_DLA_DMA_DST_ROW, KILN_DLA_DMA_DST_PLANE,
  KILN_DLA_REGS
};

/* Runs one DLA command stream (magic, version, instruction words) functionally: the host HAL's
 * interpreter of the ISA, which clears the register file, then executes register writes, DMA and
 * compute instructions through kiln_dma_start/kiln_dma_wait/kiln_job_submit. */
void kiln_dla_submit(int unit, const char *layer, const uint32_t *words, uint32_t count);

/* Starts a copy and returns a handle for kiln_dma_wait. */
int kiln_dma_start(const kiln_dma_desc *d, kiln_where at);
/* Waits until the copy with that handle has finished. */
void kiln_dma_wait(int handle);
/* Submits a job to unit `unit` (KILN_UNIT_* in kiln_memories.h) and waits until it is done. */
void kiln_job_submit(int unit, const kiln_job *j, kiln_where at);
void kiln_job_wait(int unit);

#endif /* KILN_HAL_H */
