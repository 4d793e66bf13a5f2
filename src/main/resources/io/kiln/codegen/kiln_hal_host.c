/* A host implementation of kiln_hal.h: DMA as bounds-checked copies between the program's
 * memories, and a functional model of each unit's jobs, computed exactly as the unit does
 * (int32 accumulation, the unit's output stage). A copy or a job that reaches outside a memory
 * stops the program with one line naming the layer, the tile and the memory (exit status 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_hal.h"
#include "kiln_hal_host.h"
#include "kiln_runtime.h"

static void kiln_hal_fail(kiln_where at, const char *what, int mem, uint64_t end) {
  const char *name = mem >= 0 && mem < kiln_memory_count ? kiln_memories[mem].name : "?";
  uint32_t size = mem >= 0 && mem < kiln_memory_count ? kiln_memories[mem].size : 0;
  fprintf(stderr, "kiln_hal: layer %s tile %d: %s reaches byte %llu of memory %s (%lu B)\n", at.layer,
          at.tile, what, (unsigned long long)end, name, (unsigned long)size);
  exit(3);
}

uint8_t kiln_dla_line[3][KILN_DLA_LINE_BYTES];

/* The memory `mem` from `addr` for `bytes` bytes, or a failure naming it (kiln_hal_host.h). */
uint8_t *kiln_hal_at(int mem, uint64_t addr, uint64_t bytes, kiln_where at, const char *what) {
  if (mem >= kiln_memory_count && mem < kiln_memory_count + 3 && addr + bytes <= KILN_DLA_LINE_BYTES) {
    return kiln_dla_line[mem - kiln_memory_count] + addr;
  }
  if (mem < 0 || mem >= kiln_memory_count || addr + bytes > kiln_memories[mem].size) {
    kiln_hal_fail(at, what, mem, addr + bytes);
  }
  return kiln_memories[mem].base + addr;
}

int kiln_dma_start(const kiln_dma_desc *d, kiln_where at) {
  uint64_t src_end = (uint64_t)(d->planes - 1) * d->src_plane + (uint64_t)(d->rows - 1) * d->src_row + d->run;
  uint64_t dst_end = (uint64_t)(d->planes - 1) * d->dst_plane + (uint64_t)(d->rows - 1) * d->dst_row + d->run;
  const uint8_t *src = kiln_hal_at(d->src_mem, d->src, src_end, at, "a DMA read");
  uint8_t *dst = kiln_hal_at(d->dst_mem, d->dst, dst_end, at, "a DMA write");
  for (uint32_t p = 0; p < d->planes; ++p) {
    for (uint32_t r = 0; r < d->rows; ++r) {
      memmove(dst + (size_t)p * d->dst_plane + (size_t)r * d->dst_row,
              src + (size_t)p * d->src_plane + (size_t)r * d->src_row, d->run);
    }
  }
  return 0;
}

void kiln_dma_wait(int handle) {
  (void)handle; /* copies complete when they start */
}

static int32_t kiln_hal_i32(const uint8_t *p) {
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  return (int32_t)v;
}

static void kiln_hal_put_i32(uint8_t *p, int32_t v) {
  uint32_t u = (uint32_t)v;
  p[0] = (uint8_t)u;
  p[1] = (uint8_t)(u >> 8);
  p[2] = (uint8_t)(u >> 16);
  p[3] = (uint8_t)(u >> 24);
}

/* Where element (r, c, ch) of a rows x cols x chans activation tile sits, in the job's layout. */
static size_t kiln_hal_idx(const kiln_job *j, int rows, int cols, int chans, int r, int c, int ch) {
  return j->chw ? ((size_t)ch * rows + r) * cols + c : ((size_t)r * cols + c) * chans + ch;
}

/* The (r, c, ch) of storage position o of a rows x cols x chans tile: positions visited in
 * increasing order walk the tile in the job's layout. */
static void kiln_hal_at_index(const kiln_job *j, size_t o, int rows, int cols, int chans, int *r, int *c, int *ch) {
  if (j->chw) {
    *ch = (int)(o / ((size_t)rows * cols));
    *r = (int)(o / cols % rows);
    *c = (int)(o % cols);
  } else {
    *r = (int)(o / ((size_t)cols * chans));
    *c = (int)(o / chans % cols);
    *ch = (int)(o % chans);
  }
}

/* Weight (k, c, fy, fx) of the tile: w_bits bits at the job's bit position, sign-extended. */
static int32_t kiln_hal_weight(const kiln_job *j, const uint8_t *w, int k, int c, int fy, int fx) {
  uint64_t bit = (uint64_t)(k / j->kb) * j->s_kb + (uint64_t)(k % j->kb) * j->s_ki + (uint64_t)(c / j->cb) * j->s_cb
                 + (uint64_t)(c % j->cb) * j->s_ci + (uint64_t)fy * j->s_fy + (uint64_t)fx * j->s_fx;
  if (j->w_bits == 8) {
    return (int8_t)w[bit >> 3];
  }
  int32_t code = (w[bit >> 3] >> (bit & 7)) & ((1 << j->w_bits) - 1);
  return (int32_t)((uint32_t)code << (32 - j->w_bits)) >> (32 - j->w_bits);
}

/* An activation as the unit's array takes it: shifted right and saturated to in_bits. */
static int32_t kiln_hal_narrow(const kiln_job *j, int32_t x) {
  int32_t lo = -(1 << (j->in_bits - 1)), hi = (1 << (j->in_bits - 1)) - 1;
  x >>= j->in_shift;
  return x < lo ? lo : x > hi ? hi : x;
}

/* The output stage of channel k: the accumulator (bias already in it) to the output's int8. */
static int32_t kiln_hal_stage(const kiln_job *j, const uint8_t *params, int k, int64_t acc) {
  const uint8_t *rec = params + (size_t)k * j->p_bytes + (j->has_bias ? 4 : 0);
  int32_t v;
  if (j->stage == KILN_STAGE_FIXED_POINT) {
    v = kiln_mbqm((int32_t)acc, kiln_hal_i32(rec), (int8_t)rec[4]);
    v += j->out_zp;
  } else {
    /* Shift stages work in 64 bits: a left shift of a large sum must saturate, not wrap. */
    int s = (int8_t)rec[0];
    int64_t a = acc;
    if (s > 0) {
      if (j->stage == KILN_STAGE_SHIFT_HALF_UP) {
        a += INT64_C(1) << (s - 1);
      }
      a >>= s;
    } else if (s < 0) {
      a *= INT64_C(1) << -s;
    }
    a += j->out_zp;
    a = a < j->act_min ? j->act_min : a;
    return (int32_t)(a > j->act_max ? j->act_max : a);
  }
  v = v < j->act_min ? j->act_min : v;
  return v > j->act_max ? j->act_max : v;
}

static void kiln_hal_fused(const kiln_job *j, int8_t *out, kiln_where at);

/* Offset e of an N:M weight tile: nm_obits bits after the tile's k * nm_vals values. */
static int kiln_hal_nm_offset(const kiln_job *j, const uint8_t *w, uint64_t e) {
  uint64_t bit = (uint64_t)j->k * j->nm_vals * 8 + e * (uint64_t)j->nm_obits;
  int v = 0;
  for (int b = 0; b < j->nm_obits; ++b, ++bit) {
    v |= ((w[bit >> 3] >> (bit & 7)) & 1) << b;
  }
  return v;
}

/* Output (oy, ox, k)'s sum over an N:M tile: only the stored values, each at its offset. */
static int64_t kiln_hal_nm_sum(const kiln_job *j, const int8_t *in, const uint8_t *w, int oy, int ox, int k,
                               int32_t sub, kiln_where at) {
  int64_t acc = 0;
  int reduction = j->fy * j->fx * j->c;
  int block = k / j->nm_kb;
  int width = j->k - block * j->nm_kb < j->nm_kb ? j->k - block * j->nm_kb : j->nm_kb;
  for (int v = 0; v < j->nm_vals; ++v) {
    uint64_t e = (uint64_t)block * j->nm_kb * j->nm_vals + (uint64_t)v * width + k % j->nm_kb;
    int32_t wv = (int8_t)w[e];
    if (wv == 0) {
      continue; /* a group with fewer than N non-zeros is filled with zeros */
    }
    int r = v / j->nm_n * j->nm_m + kiln_hal_nm_offset(j, w, e);
    if (r >= reduction) {
      fprintf(stderr, "kiln_hal: layer %s tile %d: N:M value %d of channel %d lies at %d, past the tile's %d weights\n",
              at.layer, at.tile, v, k, r, reduction);
      exit(3);
    }
    int tap = r / j->c, c = r % j->c, fy = tap / j->fx, fx = tap % j->fx;
    int iy = oy * j->sy + fy * j->dy + j->y0;
    int ix = ox * j->sx + fx * j->dx + j->x0;
    int in_tile = iy >= 0 && iy < j->rows && ix >= 0 && ix < j->cols;
    if (!in_tile && !j->fold) {
      continue;
    }
    int32_t x = in_tile ? kiln_hal_narrow(j, in[kiln_hal_idx(j, j->rows, j->cols, j->c, iy, ix, c)]) : j->in_zp;
    acc += (int64_t)(x - sub) * wv;
  }
  return acc;
}

static void kiln_hal_conv(const kiln_job *j, kiln_where at) {
  int depthwise = j->kind == KILN_JOB_DEPTHWISE;
  int in_c = depthwise ? j->k : j->c;
  const int8_t *in = (const int8_t *)kiln_hal_at(j->in_mem, j->in, (uint64_t)j->rows * j->cols * in_c, at,
                                                 "the input tile");
  uint64_t nm_values = (uint64_t)j->k * j->nm_vals;
  const uint8_t *w = kiln_hal_at(j->w_mem, j->w, j->nm_n ? nm_values + (nm_values * j->nm_obits + 7) / 8 : 0, at,
                                 "the weight tile");
  const uint8_t *params = kiln_hal_at(j->p_mem, j->p, (uint64_t)j->k * j->p_bytes, at, "the parameters");
  uint64_t outs = (uint64_t)j->oy * j->ox * j->k;
  uint8_t *out = kiln_hal_at(j->out_mem, j->out, outs * (j->last && j->first ? 1 : 4), at, "the output tile");
  /* Storage order, so that int8 outputs written over int32 partial sums never pass a sum still
   * to be read. */
  for (size_t o = 0; o < outs; ++o) {
    int oy, ox, k;
    kiln_hal_at_index(j, o, j->oy, j->ox, j->k, &oy, &ox, &k);
    /* 64 bits: a shift-only stage is exact for any sum (the lowered graph's semantics); a
     * TFLite stage takes the same int32 the reference kernels accumulate. */
    int64_t acc = j->first ? (j->has_bias ? kiln_hal_i32(params + (size_t)k * j->p_bytes) : 0)
                           : kiln_hal_i32(out + 4 * o);
    /* A padded tap reads the (narrowed) input zero point. A TFLite stage sums (x - zp) * w;
     * a shift stage whose bias has -zp * sum(w) folded in (fold) sums x * w. */
    int32_t sub = j->fold ? 0 : j->in_zp;
    if (j->nm_n && !depthwise) {
      acc += kiln_hal_nm_sum(j, in, w, oy, ox, k, sub, at);
    }
    for (int fy = 0; fy < (j->nm_n && !depthwise ? 0 : j->fy); ++fy) {
      int iy = oy * j->sy + fy * j->dy + j->y0;
      int row_in = iy >= 0 && iy < j->rows;
      for (int fx = 0; fx < j->fx; ++fx) {
        int ix = ox * j->sx + fx * j->dx + j->x0;
        int in_tile = row_in && ix >= 0 && ix < j->cols;
        if (!in_tile && !j->fold) {
          continue; /* (zero point - zero point) * w adds nothing */
        }
        if (depthwise) {
          int32_t x = in_tile ? kiln_hal_narrow(j, in[kiln_hal_idx(j, j->rows, j->cols, in_c, iy, ix, k)]) : j->in_zp;
          acc += (int64_t)(x - sub) * kiln_hal_weight(j, w, k, 0, fy, fx);
        } else {
          for (int c = 0; c < j->c; ++c) {
            int32_t x = in_tile ? kiln_hal_narrow(j, in[kiln_hal_idx(j, j->rows, j->cols, in_c, iy, ix, c)])
                                : j->in_zp;
            acc += (int64_t)(x - sub) * kiln_hal_weight(j, w, k, c, fy, fx);
          }
        }
      }
    }
    if (j->last) {
      /* Byte o is never ahead of the partial sum being read: int8 outputs overwrite the
       * int32 sums in place, in the same order. */
      out[o] = (uint8_t)(int8_t)kiln_hal_stage(j, params, k, acc);
    } else {
      kiln_hal_put_i32(out + 4 * o, (int32_t)acc);
    }
  }
  if (j->last) {
    kiln_hal_fused(j, (int8_t *)out, at);
  }
}

/* One batch of a matmul: a 1x1 conv over the tile's positions whose weights carry a zero point,
 * with no bias and one requantization for the tensor (see KILN_JOB_MATMUL). */
static void kiln_hal_matmul(const kiln_job *j, kiln_where at) {
  const int8_t *in = (const int8_t *)kiln_hal_at(j->in_mem, j->in, (uint64_t)j->rows * j->cols * j->c, at,
                                                 "the input tile");
  const uint8_t *w = kiln_hal_at(j->w_mem, j->w, (uint64_t)j->k * j->c, at, "the weight tile");
  uint64_t outs = (uint64_t)j->oy * j->ox * j->k;
  uint8_t *out = kiln_hal_at(j->out_mem, j->out, outs * (j->last && j->first ? 1 : 4), at, "the output tile");
  for (size_t o = 0; o < outs; ++o) {
    int oy, ox, k;
    kiln_hal_at_index(j, o, j->oy, j->ox, j->k, &oy, &ox, &k);
    /* |(x - zp) * (w - zp)| <= 2^16, so the int32 sum of a tile is exact below 2^15 channels; the
     * sum over the tiles wraps like the reference's int32. */
    int64_t acc = j->first ? 0 : kiln_hal_i32(out + 4 * o);
    for (int c = 0; c < j->c; ++c) {
      int32_t x = in[kiln_hal_idx(j, j->rows, j->cols, j->c, oy * j->sy + j->y0, ox * j->sx + j->x0, c)];
      acc += (int64_t)(x - j->in_zp) * (kiln_hal_weight(j, w, k, c, 0, 0) - j->w_zp);
    }
    if (j->last) {
      int32_t v = kiln_mbqm((int32_t)(uint32_t)acc, j->mm_mult, j->mm_shift) + j->out_zp;
      v = v < j->act_min ? j->act_min : v;
      out[o] = (uint8_t)(int8_t)(v > j->act_max ? j->act_max : v);
    } else {
      kiln_hal_put_i32(out + 4 * o, (int32_t)(uint32_t)acc);
    }
  }
}

/* TFLite's int8 Add before its output zero point: each operand offset, shifted left, rescaled,
 * then the sum rescaled to the output (the add_* fields). */
static int64_t kiln_hal_tflite_add(const kiln_job *j, int32_t a, int32_t b) {
  int32_t x = kiln_mbqm((a + j->add_in_offset) * (1 << j->add_left_shift), j->add_in_mult, j->add_in_shift);
  int32_t y = kiln_mbqm((b + j->add_opd_offset) * (1 << j->add_left_shift), j->add_opd_mult, j->add_opd_shift);
  return kiln_mbqm(x + y, j->add_out_mult, j->add_out_shift);
}

/* A right shift by s > 0 rounded as `stage` says, or a left shift by -s, in 64 bits. */
static int64_t kiln_hal_shift(int64_t v, int s, int stage) {
  if (s <= 0) {
    return v * (INT64_C(1) << -s);
  }
  if (stage == KILN_STAGE_SHIFT_HALF_UP) {
    v += INT64_C(1) << (s - 1);
  }
  return v >> s;
}

static int32_t kiln_hal_clamp(int64_t v, int32_t lo, int32_t hi) {
  return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

/* The stages fused after the conv's (see kiln_job): in place over the tile's int8 outputs. */
static void kiln_hal_fused(const kiln_job *j, int8_t *out, kiln_where at) {
  uint64_t n = (uint64_t)j->oy * j->ox * j->k;
  if (j->fuse_add) {
    const int8_t *skip = (const int8_t *)kiln_hal_at(j->opd_mem, j->opd, n, at, "the operand tile");
    for (uint64_t i = 0; i < n; ++i) {
      int32_t a = j->conv_is_lhs ? out[i] : skip[i];
      int32_t b = j->conv_is_lhs ? skip[i] : out[i];
      int64_t v;
      if (j->fuse_add == 1) {
        v = kiln_hal_tflite_add(j, a, b) + j->sadd_out_zp;
        out[i] = (int8_t)kiln_hal_clamp(v, j->sadd_min, j->sadd_max);
      } else {
        int s = j->sadd_lhs_shift > j->sadd_rhs_shift ? j->sadd_lhs_shift : j->sadd_rhs_shift;
        v = (int64_t)(a - j->sadd_lhs_zp) * (INT64_C(1) << (s - j->sadd_lhs_shift))
            + (int64_t)(b - j->sadd_rhs_zp) * (INT64_C(1) << (s - j->sadd_rhs_shift));
        v = kiln_hal_shift(v, s, j->sadd_stage) + j->sadd_out_zp;
        out[i] = (int8_t)kiln_hal_clamp(v, j->sadd_min, j->sadd_max);
      }
    }
  }
  if (j->pool_kind) {
    int py = j->oy / j->pool_y, px = j->ox / j->pool_x;
    /* Pooled output p is written at position p, never past a window element still to be read
     * (in either layout the window's first element is at p or after it). */
    for (size_t p = 0; p < (size_t)py * px * j->k; ++p) {
      int y, x, k;
      kiln_hal_at_index(j, p, py, px, j->k, &y, &x, &k);
      int64_t sum = 0;
      int32_t max = -128;
      for (int dy = 0; dy < j->pool_y; ++dy) {
        for (int dx = 0; dx < j->pool_x; ++dx) {
          int32_t v = out[kiln_hal_idx(j, j->oy, j->ox, j->k, y * j->pool_y + dy, x * j->pool_x + dx, k)];
          sum += v - j->pool_in_zp;
          max = v > max ? v : max;
        }
      }
      int64_t v = max;
      if (j->pool_kind == 2) {
        int32_t count = j->pool_y * j->pool_x;
        if (j->pool_shift < 0) {
          sum += (int64_t)j->pool_in_zp * count;
          v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
        } else {
          v = kiln_hal_shift(sum, j->pool_shift, j->pool_stage) + j->pool_out_zp;
        }
      }
      out[p] = (int8_t)kiln_hal_clamp(v, j->pool_min, j->pool_max);
    }
  }
}

static void kiln_hal_pool(const kiln_job *j, kiln_where at) {
  const int8_t *in = (const int8_t *)kiln_hal_at(j->in_mem, j->in, (uint64_t)j->rows * j->cols * j->k, at,
                                                 "the input tile");
  int8_t *out = (int8_t *)kiln_hal_at(j->out_mem, j->out, (uint64_t)j->oy * j->ox * j->k, at, "the output tile");
  for (int oy = 0; oy < j->oy; ++oy) {
    for (int ox = 0; ox < j->ox; ++ox) {
      for (int k = 0; k < j->k; ++k) {
        int32_t sum = 0, max = -128, count = 0;
        for (int fy = 0; fy < j->fy; ++fy) {
          int iy = oy * j->sy + fy + j->y0;
          for (int fx = 0; fx < j->fx; ++fx) {
            int ix = ox * j->sx + fx + j->x0;
            if (iy < 0 || iy >= j->rows || ix < 0 || ix >= j->cols) {
              continue; /* padding is left out of the window (TFLite) */
            }
            int32_t v = in[kiln_hal_idx(j, j->rows, j->cols, j->k, iy, ix, k)];
            sum += v;
            max = v > max ? v : max;
            ++count;
          }
        }
        int32_t v = max;
        if (j->kind == KILN_JOB_AVG_POOL) {
          v = count == 0 ? 0 : sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
        }
        v = v < j->act_min ? j->act_min : v;
        out[kiln_hal_idx(j, j->oy, j->ox, j->k, oy, ox, k)] = (int8_t)(v > j->act_max ? j->act_max : v);
      }
    }
  }
}

static void kiln_hal_add(const kiln_job *j, kiln_where at) {
  uint64_t n = (uint64_t)j->oy * j->ox * j->k;
  const int8_t *a = (const int8_t *)kiln_hal_at(j->in_mem, j->in, n, at, "the input tile");
  const int8_t *b = (const int8_t *)kiln_hal_at(j->opd_mem, j->opd, n, at, "the operand tile");
  int8_t *out = (int8_t *)kiln_hal_at(j->out_mem, j->out, n, at, "the output tile");
  for (uint64_t i = 0; i < n; ++i) {
    out[i] = (int8_t)kiln_hal_clamp(kiln_hal_tflite_add(j, a[i], b[i]) + j->out_zp, j->act_min, j->act_max);
  }
}

static void kiln_hal_lut(const kiln_job *j, kiln_where at) {
  uint64_t n = (uint64_t)j->oy * j->ox * j->k;
  const int8_t *in = (const int8_t *)kiln_hal_at(j->in_mem, j->in, n, at, "the input tile");
  int8_t *out = (int8_t *)kiln_hal_at(j->out_mem, j->out, n, at, "the output tile");
  for (uint64_t i = 0; i < n; ++i) {
    out[i] = j->lut[in[i] + 128];
  }
}

void kiln_job_submit(int unit, const kiln_job *j, kiln_where at) {
  (void)unit;
  switch (j->kind) {
    case KILN_JOB_CONV:
    case KILN_JOB_DEPTHWISE:
      kiln_hal_conv(j, at);
      break;
    case KILN_JOB_MAX_POOL:
    case KILN_JOB_AVG_POOL:
      kiln_hal_pool(j, at);
      break;
    case KILN_JOB_ADD:
      kiln_hal_add(j, at);
      break;
    case KILN_JOB_LUT:
      kiln_hal_lut(j, at);
      break;
    case KILN_JOB_MATMUL:
      kiln_hal_matmul(j, at);
      break;
    default:
      fprintf(stderr, "kiln_hal: layer %s tile %d: unknown job kind %d\n", at.layer, at.tile, j->kind);
      exit(3);
  }
}

void kiln_job_wait(int unit) {
  (void)unit; /* jobs complete when they are submitted */
}
