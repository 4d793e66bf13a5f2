/* Kiln runtime for the audio front-end (TFLM's signal operators): the fixed-point helpers the
 * generated layers call. Every expression keeps to defined C: where TFLM's arithmetic wraps, it
 * wraps here in unsigned types, and products are sized so that no signed overflow occurs. The
 * same arithmetic is io.kiln.interp.signal.SignalMath / KissFftr, which the tests compare. */
#ifndef KILN_SIGNAL_H
#define KILN_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

/* 1-based index of the highest set bit; 32 for zero (what TFLM's GCC build returns). */
static inline int kiln_msb32(uint32_t x) {
  int n = 0;
  if (x == 0) {
    return 32;
  }
  while (x != 0) {
    x >>= 1;
    ++n;
  }
  return n;
}

static inline int kiln_msb64(uint64_t x) {
  int n = 0;
  if (x == 0) {
    return 64;
  }
  while (x != 0) {
    x >>= 1;
    ++n;
  }
  return n;
}

/* Bit-by-bit square root, rounded up when the remainder exceeds the root. */
static inline uint32_t kiln_sqrt32(uint32_t num) {
  uint32_t res = 0;
  int max_bit;
  uint32_t bit;
  int iterations;
  if (num == 0) {
    return 0;
  }
  max_bit = (32 - kiln_msb32(num)) | 1;
  bit = (uint32_t)1 << (31 - max_bit);
  iterations = (31 - max_bit) / 2 + 1;
  while (iterations-- > 0) {
    if (num >= res + bit) {
      num -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  if (num > res && res != 0xFFFFu) {
    ++res;
  }
  return res & 0xFFFFu;
}

/* Below 2^32 the 32-bit root is used, as in TFLM (off by one near 2^32, kept for exactness). */
static inline uint32_t kiln_sqrt64(uint64_t num) {
  uint64_t res = 0;
  int max_bit;
  uint64_t bit;
  int iterations;
  if ((num >> 32) == 0) {
    return kiln_sqrt32((uint32_t)num);
  }
  max_bit = (64 - kiln_msb64(num)) | 1;
  bit = (uint64_t)1 << (63 - max_bit);
  iterations = (63 - max_bit) / 2 + 1;
  while (iterations-- > 0) {
    if (num >= res + bit) {
      num -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  if (num > res && res != 0xFFFFFFFFu) {
    ++res;
  }
  return (uint32_t)res;
}

/* PCAN's gain for a noise estimate: a quadratic per octave read from the model's table. The
 * products can pass 2^31, so they are formed in uint32 (TFLM's int32 wraps the same way). */
static inline int16_t kiln_pcan_gain(uint32_t x, const int16_t *lut) {
  int interval;
  int32_t frac;
  int32_t result;
  if (x <= 2) {
    return lut[x];
  }
  interval = kiln_msb32(x);
  lut += 4 * interval - 6;
  frac = (int32_t)(((interval < 11) ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FF);
  result = (lut[2] * frac) >> 5;
  result = (int32_t)((uint32_t)result + ((uint32_t)(int32_t)lut[1] << 5));
  result = (int32_t)((uint32_t)result * (uint32_t)frac);
  result = (int32_t)((uint32_t)result + (1u << 14)) >> 15;
  result = (int32_t)((uint32_t)result + (uint32_t)(int32_t)lut[0]);
  return (int16_t)result;
}

/* x^2/4 below 2.0, x - 1 above: Q12 in, Q6 out. */
static inline uint32_t kiln_pcan_shrink(uint32_t x) {
  if (x < (2u << 12)) {
    return (x * x) >> 20;
  }
  return (x >> 6) - (1u << 6);
}

/* ln(x) * out_scale in fixed point; lut is log2(1 + f) - f at 129 points, in 2^-16. */
static inline uint32_t kiln_log32(uint32_t x, uint32_t out_scale, const uint16_t *lut) {
  const uint32_t integer = (uint32_t)kiln_msb32(x) - 1;
  int32_t frac = (int32_t)((int64_t)x - ((int64_t)1 << integer));
  uint32_t seg;
  int32_t rel;
  uint32_t log2;
  uint32_t loge;
  if (integer < 16) {
    frac = (int32_t)((uint32_t)frac << (16 - integer));
  } else {
    frac >>= integer - 16;
  }
  seg = (uint32_t)frac >> 9;
  rel = (((int32_t)lut[seg + 1] - (int32_t)lut[seg]) * (frac - (int32_t)(512 * seg))) >> 16;
  log2 = (integer << 16) + (uint32_t)(frac + (int32_t)lut[seg] + rel);
  loge = (uint32_t)(((uint64_t)45426 * log2 + 32768) >> 16);
  return (out_scale * loge + 32768u) >> 16;
}

/* ---- kiss_fft (v1.3.0, FIXED_POINT=16) as TFLM's SignalRfft runs it ---- */

typedef struct {
  int16_t r;
  int16_t i;
} kiln_cpx;

/* Q30 product back to Q15, truncated to int16. */
static inline int16_t kiln_fft_round(int32_t x) {
  return (int16_t)((x + (1 << 14)) >> 15);
}

static inline int16_t kiln_fft_div(int16_t x, int k) {
  return kiln_fft_round((int32_t)x * (32767 / k));
}

static inline kiln_cpx kiln_cmul(kiln_cpx a, kiln_cpx b) {
  kiln_cpx m;
  m.r = kiln_fft_round((int32_t)a.r * b.r - (int32_t)a.i * b.i);
  m.i = kiln_fft_round((int32_t)a.r * b.i + (int32_t)a.i * b.r);
  return m;
}

/* The FFT plan: factors as (radix, remaining length) pairs and the twiddle tables. */
typedef struct {
  int ncfft;
  const int *factors;
  const kiln_cpx *twiddles;
  const kiln_cpx *super_twiddles;
} kiln_fftr_plan;

static void kiln_bfly2(kiln_cpx *f, size_t fstride, const kiln_cpx *tw, int m) {
  kiln_cpx *f2 = f + m;
  const kiln_cpx *t1 = tw;
  int k;
  for (k = 0; k < m; ++k) {
    kiln_cpx t;
    f->r = kiln_fft_div(f->r, 2);
    f->i = kiln_fft_div(f->i, 2);
    f2->r = kiln_fft_div(f2->r, 2);
    f2->i = kiln_fft_div(f2->i, 2);
    t = kiln_cmul(*f2, *t1);
    t1 += fstride;
    f2->r = (int16_t)(f->r - t.r);
    f2->i = (int16_t)(f->i - t.i);
    f->r = (int16_t)(f->r + t.r);
    f->i = (int16_t)(f->i + t.i);
    ++f2;
    ++f;
  }
}

static void kiln_bfly4(kiln_cpx *f, size_t fstride, const kiln_cpx *tw, int m) {
  const kiln_cpx *t1 = tw;
  const kiln_cpx *t2 = tw;
  const kiln_cpx *t3 = tw;
  int k;
  for (k = 0; k < m; ++k) {
    kiln_cpx s0, s1, s2, s3, s4, s5;
    int q;
    for (q = 0; q < 4; ++q) {
      f[q * m].r = kiln_fft_div(f[q * m].r, 4);
      f[q * m].i = kiln_fft_div(f[q * m].i, 4);
    }
    s0 = kiln_cmul(f[m], *t1);
    s1 = kiln_cmul(f[2 * m], *t2);
    s2 = kiln_cmul(f[3 * m], *t3);
    s5.r = (int16_t)(f->r - s1.r);
    s5.i = (int16_t)(f->i - s1.i);
    f->r = (int16_t)(f->r + s1.r);
    f->i = (int16_t)(f->i + s1.i);
    s3.r = (int16_t)(s0.r + s2.r);
    s3.i = (int16_t)(s0.i + s2.i);
    s4.r = (int16_t)(s0.r - s2.r);
    s4.i = (int16_t)(s0.i - s2.i);
    f[2 * m].r = (int16_t)(f->r - s3.r);
    f[2 * m].i = (int16_t)(f->i - s3.i);
    t1 += fstride;
    t2 += fstride * 2;
    t3 += fstride * 3;
    f->r = (int16_t)(f->r + s3.r);
    f->i = (int16_t)(f->i + s3.i);
    f[m].r = (int16_t)(s5.r + s4.i);
    f[m].i = (int16_t)(s5.i - s4.r);
    f[3 * m].r = (int16_t)(s5.r - s4.i);
    f[3 * m].i = (int16_t)(s5.i + s4.r);
    ++f;
  }
}

/* Decimation in time: gather the sub-sequences recursively, then this stage's butterflies. */
static void kiln_fft_work(kiln_cpx *out, const int16_t *in, size_t fstride, const int *factors,
                          const kiln_cpx *tw) {
  const int p = factors[0];
  const int m = factors[1];
  kiln_cpx *o = out;
  kiln_cpx *end = out + p * m;
  if (m == 1) {
    /* in holds interleaved (real, imag) pairs: the real samples taken two at a time. */
    for (; o != end; ++o) {
      o->r = in[0];
      o->i = in[1];
      in += 2 * fstride;
    }
  } else {
    for (; o != end; o += m) {
      kiln_fft_work(o, in, fstride * (size_t)p, factors + 2, tw);
      in += 2 * fstride;
    }
  }
  if (p == 2) {
    kiln_bfly2(out, fstride, tw, m);
  } else {
    kiln_bfly4(out, fstride, tw, m);
  }
}

/* Real FFT of 2*ncfft samples into ncfft+1 (real, imag) pairs; tmp holds ncfft values. */
static inline void kiln_fftr(const kiln_fftr_plan *plan, const int16_t *time, int16_t *freq,
                             kiln_cpx *tmp) {
  const int n = plan->ncfft;
  kiln_cpx dc;
  int k;
  kiln_fft_work(tmp, time, 1, plan->factors, plan->twiddles);
  dc.r = kiln_fft_div(tmp[0].r, 2);
  dc.i = kiln_fft_div(tmp[0].i, 2);
  freq[0] = (int16_t)(dc.r + dc.i);
  freq[1] = 0;
  freq[2 * n] = (int16_t)(dc.r - dc.i);
  freq[2 * n + 1] = 0;
  for (k = 1; k <= n / 2; ++k) {
    kiln_cpx fpk, fpnk, f1, f2, tw;
    fpk.r = kiln_fft_div(tmp[k].r, 2);
    fpk.i = kiln_fft_div(tmp[k].i, 2);
    fpnk.r = kiln_fft_div(tmp[n - k].r, 2);
    fpnk.i = kiln_fft_div((int16_t)-tmp[n - k].i, 2);
    f1.r = (int16_t)(fpk.r + fpnk.r);
    f1.i = (int16_t)(fpk.i + fpnk.i);
    f2.r = (int16_t)(fpk.r - fpnk.r);
    f2.i = (int16_t)(fpk.i - fpnk.i);
    tw = kiln_cmul(f2, plan->super_twiddles[k - 1]);
    freq[2 * k] = (int16_t)((f1.r + tw.r) >> 1);
    freq[2 * k + 1] = (int16_t)((f1.i + tw.i) >> 1);
    freq[2 * (n - k)] = (int16_t)((f1.r - tw.r) >> 1);
    freq[2 * (n - k) + 1] = (int16_t)((tw.i - f1.i) >> 1);
  }
}

#endif /* KILN_SIGNAL_H */
