/* The host HAL's interpreter of the DLA's command streams (docs/dla-isa.md): register writes
 * into a register file that persists within a stream, DMA instructions through kiln_dma_start, and
 * compute instructions as jobs of kiln_hal_host.c's functional models. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_hal.h"
#include "kiln_hal_host.h"

static void kiln_dla_fail(const char *layer, uint32_t word, const char *problem) {
  fprintf(stderr, "kiln_hal: layer %s: command stream word %lu: %s\n", layer, (unsigned long)word, problem);
  exit(3);
}

static void kiln_dla_job(kiln_job *j, const int32_t *r) {
  j->stage = (uint8_t)r[KILN_DLA_STAGE];
  j->in_mem = (uint8_t)r[KILN_DLA_IN_MEM];
  j->w_mem = (uint8_t)r[KILN_DLA_W_MEM];
  j->p_mem = (uint8_t)r[KILN_DLA_P_MEM];
  j->out_mem = (uint8_t)r[KILN_DLA_OUT_MEM];
  j->opd_mem = (uint8_t)r[KILN_DLA_OPD_MEM];
  j->in = (uint32_t)r[KILN_DLA_IN];
  j->w = (uint32_t)r[KILN_DLA_W];
  j->p = (uint32_t)r[KILN_DLA_P];
  j->out = (uint32_t)r[KILN_DLA_OUT];
  j->opd = (uint32_t)r[KILN_DLA_OPD];
  j->k = r[KILN_DLA_K];
  j->c = r[KILN_DLA_C];
  j->rows = r[KILN_DLA_ROWS];
  j->cols = r[KILN_DLA_COLS];
  j->oy = r[KILN_DLA_OY];
  j->ox = r[KILN_DLA_OX];
  j->fy = r[KILN_DLA_FY];
  j->fx = r[KILN_DLA_FX];
  j->sy = r[KILN_DLA_SY];
  j->sx = r[KILN_DLA_SX];
  j->dy = r[KILN_DLA_DY];
  j->dx = r[KILN_DLA_DX];
  j->y0 = r[KILN_DLA_Y0];
  j->x0 = r[KILN_DLA_X0];
  j->in_shift = r[KILN_DLA_IN_SHIFT];
  j->in_bits = r[KILN_DLA_IN_BITS];
  j->in_zp = r[KILN_DLA_IN_ZP];
  j->out_zp = r[KILN_DLA_OUT_ZP];
  j->act_min = r[KILN_DLA_ACT_MIN];
  j->act_max = r[KILN_DLA_ACT_MAX];
  j->fold = r[KILN_DLA_FOLD];
  j->has_bias = r[KILN_DLA_HAS_BIAS];
  j->p_bytes = r[KILN_DLA_P_BYTES];
  j->w_bits = r[KILN_DLA_W_BITS];
  j->kb = r[KILN_DLA_KB];
  j->cb = r[KILN_DLA_CB];
  j->s_kb = (uint32_t)r[KILN_DLA_S_KB];
  j->s_ki = (uint32_t)r[KILN_DLA_S_KI];
  j->s_cb = (uint32_t)r[KILN_DLA_S_CB];
  j->s_ci = (uint32_t)r[KILN_DLA_S_CI];
  j->s_fy = (uint32_t)r[KILN_DLA_S_FY];
  j->s_fx = (uint32_t)r[KILN_DLA_S_FX];
  j->add_left_shift = r[KILN_DLA_ADD_LEFT_SHIFT];
  j->add_in_offset = r[KILN_DLA_ADD_IN_OFFSET];
  j->add_in_mult = r[KILN_DLA_ADD_IN_MULT];
  j->add_in_shift = r[KILN_DLA_ADD_IN_SHIFT];
  j->add_opd_offset = r[KILN_DLA_ADD_OPD_OFFSET];
  j->add_opd_mult = r[KILN_DLA_ADD_OPD_MULT];
  j->add_opd_shift = r[KILN_DLA_ADD_OPD_SHIFT];
  j->add_out_mult = r[KILN_DLA_ADD_OUT_MULT];
  j->add_out_shift = r[KILN_DLA_ADD_OUT_SHIFT];
  j->fuse_add = r[KILN_DLA_FUSE_ADD];
  j->conv_is_lhs = r[KILN_DLA_CONV_IS_LHS];
  j->sadd_stage = r[KILN_DLA_SADD_STAGE];
  j->sadd_lhs_shift = r[KILN_DLA_SADD_LHS_SHIFT];
  j->sadd_rhs_shift = r[KILN_DLA_SADD_RHS_SHIFT];
  j->sadd_lhs_zp = r[KILN_DLA_SADD_LHS_ZP];
  j->sadd_rhs_zp = r[KILN_DLA_SADD_RHS_ZP];
  j->sadd_out_zp = r[KILN_DLA_SADD_OUT_ZP];
  j->sadd_min = r[KILN_DLA_SADD_MIN];
  j->sadd_max = r[KILN_DLA_SADD_MAX];
  j->pool_kind = r[KILN_DLA_POOL_KIND];
  j->pool_y = r[KILN_DLA_POOL_Y];
  j->pool_x = r[KILN_DLA_POOL_X];
  j->pool_stage = r[KILN_DLA_POOL_STAGE];
  j->pool_shift = r[KILN_DLA_POOL_SHIFT];
  j->pool_in_zp = r[KILN_DLA_POOL_IN_ZP];
  j->pool_out_zp = r[KILN_DLA_POOL_OUT_ZP];
  j->pool_min = r[KILN_DLA_POOL_MIN];
  j->pool_max = r[KILN_DLA_POOL_MAX];
  j->chw = r[KILN_DLA_CHW];
}

/* A one-channel instruction on tiles stored with in_pitch (out_pitch) channels: the channel is
 * gathered into the line buffers, computed there and scattered back. */
static void kiln_dla_pitched(kiln_job *j, const int32_t *r, kiln_where at) {
  uint64_t in_pitch = (uint32_t)r[KILN_DLA_IN_PITCH];
  uint64_t out_pitch = r[KILN_DLA_OUT_PITCH] > 0 ? (uint32_t)r[KILN_DLA_OUT_PITCH] : 1;
  uint64_t pixels = (uint64_t)j->rows * (uint64_t)j->cols;
  uint64_t outs = (uint64_t)j->oy * (uint64_t)j->ox;
  if (j->k != 1 || j->c != 1 || !j->first || !j->last || j->chw || pixels == 0 || outs == 0) {
    fprintf(stderr, "kiln_hal: layer %s tile %d: a pitched instruction needs one channel and a whole reduction\n",
            at.layer, at.tile);
    exit(3);
  }
  const uint8_t *in = kiln_hal_at(j->in_mem, j->in, (pixels - 1) * in_pitch + 1, at, "the input tile");
  uint8_t *line_in = kiln_hal_at(kiln_memory_count, 0, pixels, at, "the input line buffer");
  for (uint64_t p = 0; p < pixels; ++p) {
    line_in[p] = in[p * in_pitch];
  }
  if (j->fuse_add) {
    const uint8_t *opd = kiln_hal_at(j->opd_mem, j->opd, (outs - 1) * out_pitch + 1, at, "the operand tile");
    uint8_t *line_opd = kiln_hal_at(kiln_memory_count + 1, 0, outs, at, "the operand line buffer");
    for (uint64_t p = 0; p < outs; ++p) {
      line_opd[p] = opd[p * out_pitch];
    }
  }
  uint8_t out_mem = j->out_mem;
  uint32_t out_at = j->out;
  j->in_mem = (uint8_t)kiln_memory_count;
  j->in = 0;
  j->opd_mem = (uint8_t)(kiln_memory_count + 1);
  j->opd = 0;
  j->out_mem = (uint8_t)(kiln_memory_count + 2);
  j->out = 0;
  kiln_job_submit(0, j, at);
  uint64_t written = j->pool_kind ? (uint64_t)(j->oy / j->pool_y) * (uint64_t)(j->ox / j->pool_x) : outs;
  uint8_t *out = kiln_hal_at(out_mem, out_at, (written - 1) * out_pitch + 1, at, "the output tile");
  for (uint64_t p = 0; p < written; ++p) {
    out[p * out_pitch] = kiln_dla_line[2][p];
  }
}

void kiln_dla_submit(int unit, const char *layer, const uint32_t *w, uint32_t n) {
  int32_t r[KILN_DLA_REGS];
  static int handles[65536];
  static int8_t lut[256];
  int have_lut = 0;
  memset(r, 0, sizeof r);
  if (n < 2 || w[0] != 0x414c444bu || w[1] != 1u) {
    kiln_dla_fail(layer, 0, "not a version-1 DLA command stream");
  }
  uint32_t i = 2;
  while (i < n) {
    uint32_t word = w[i];
    uint32_t op = word >> 24;
    uint32_t operand = word & 0xffffffu;
    kiln_where at = {layer, r[KILN_DLA_TILE]};
    uint32_t here = i++;
    if (op == 0x01u) {
      if (operand >= KILN_DLA_REGS || i >= n) {
        kiln_dla_fail(layer, here, "register out of range or without its value");
      }
      r[operand] = (int32_t)w[i++];
    } else if (op == 0x02u) {
      if (i + 64 > n) {
        kiln_dla_fail(layer, here, "truncated lookup table");
      }
      memcpy(lut, &w[i], sizeof lut);
      i += 64;
      have_lut = 1;
    } else if (op == 0x03u) {
      kiln_dma_wait(handles[operand & 0xffffu]);
    } else if (op == 0x10u || op == 0x11u) {
      kiln_dma_desc d;
      d.src_mem = (uint8_t)r[KILN_DLA_DMA_SRC_MEM];
      d.dst_mem = (uint8_t)r[KILN_DLA_DMA_DST_MEM];
      d.src = (uint32_t)r[KILN_DLA_DMA_SRC];
      d.dst = (uint32_t)r[KILN_DLA_DMA_DST];
      d.run = (uint32_t)r[KILN_DLA_DMA_RUN];
      d.rows = (uint32_t)r[KILN_DLA_DMA_ROWS];
      d.planes = (uint32_t)r[KILN_DLA_DMA_PLANES];
      d.src_row = (uint32_t)r[KILN_DLA_DMA_SRC_ROW];
      d.src_plane = (uint32_t)r[KILN_DLA_DMA_SRC_PLANE];
      d.dst_row = (uint32_t)r[KILN_DLA_DMA_DST_ROW];
      d.dst_plane = (uint32_t)r[KILN_DLA_DMA_DST_PLANE];
      handles[operand & 0xffffu] = kiln_dma_start(&d, at);
    } else {
      kiln_job j;
      memset(&j, 0, sizeof j);
      kiln_dla_job(&j, r);
      switch (op) {
        case 0x20u: case 0x21u: j.kind = KILN_JOB_CONV; break;
        case 0x22u: j.kind = KILN_JOB_DEPTHWISE; break;
        case 0x32u: j.kind = (operand & 1u) ? KILN_JOB_AVG_POOL : KILN_JOB_MAX_POOL; break;
        case 0x33u: j.kind = KILN_JOB_LUT; break;
        case 0x43u: j.kind = KILN_JOB_ADD; break;
        default: kiln_dla_fail(layer, here, "an opcode this HAL does not execute");
      }
      int whole = j.kind > KILN_JOB_DEPTHWISE;
      j.first = (uint8_t)(whole || (operand & 1u));
      j.last = (uint8_t)(whole || (operand & 2u));
      if (op == 0x21u && j.act_min < j.out_zp) {
        j.act_min = j.out_zp;
      }
      if (j.kind == KILN_JOB_LUT) {
        if (!have_lut) {
          kiln_dla_fail(layer, here, "op_lut before lut_load");
        }
        j.lut = lut;
      }
      if (r[KILN_DLA_IN_PITCH] > 0) {
        kiln_dla_pitched(&j, r, at);
      } else {
        kiln_job_submit(unit, &j, at);
      }
      kiln_job_wait(unit);
    }
  }
}
