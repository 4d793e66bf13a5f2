/* Helium (M-profile Vector Extension) building blocks of Kiln's kernels for the Cortex-M55,
 * written with the intrinsics of arm_mve.h; like kiln_dsp.h, every function is inlined into the
 * layer that calls it with constant arguments.
 *
 * The int8 dot products use VMLADAVA: sixteen int8 x int8 products summed into a 32-bit
 * general-purpose register per instruction, so a weight row and a column of taps are read as
 * they are, sixteen bytes per load, with no widening. Rows and columns are zero-padded to a
 * multiple of sixteen at compile time (weights) and in the column buffers (taps), so no loop has
 * a tail and no load needs a predicate. */
#ifndef KILN_MVE_H
#define KILN_MVE_H

#include <stdint.h>

#include <arm_mve.h>

#if !defined(__ARM_FEATURE_MVE)
#error "this model was generated for Helium (MVE): compile it with -mcpu=cortex-m55, or generate it for another core"
#endif

#define KILN_MVE_INLINE static inline __attribute__((always_inline))

/* acc = {xa.wa, xa.wb, xa.wc, xa.wd, xb.wa, ...}: two columns of n16 groups of sixteen int8
 * against four weight rows w + r * stride. Eight scalar accumulators, three vector registers. */
KILN_MVE_INLINE void kiln_mve_gemm_2x4(const int8_t *xa, const int8_t *xb, const int8_t *w,
                                       int stride, int n16, int32_t acc[8]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  for (int g = 0; g < n16; ++g) {
    const int8x16_t x = vldrbq_s8(xa + 16 * g);
    const int8x16_t y = vldrbq_s8(xb + 16 * g);
    int8x16_t v = vldrbq_s8(w + 16 * g);
    a0 = vmladavaq_s8(a0, x, v);
    b0 = vmladavaq_s8(b0, y, v);
    v = vldrbq_s8(w + stride + 16 * g);
    a1 = vmladavaq_s8(a1, x, v);
    b1 = vmladavaq_s8(b1, y, v);
    v = vldrbq_s8(w + 2 * stride + 16 * g);
    a2 = vmladavaq_s8(a2, x, v);
    b2 = vmladavaq_s8(b2, y, v);
    v = vldrbq_s8(w + 3 * stride + 16 * g);
    a3 = vmladavaq_s8(a3, x, v);
    b3 = vmladavaq_s8(b3, y, v);
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  acc[4] = b0;
  acc[5] = b1;
  acc[6] = b2;
  acc[7] = b3;
}

/* acc[r] = x.w_r for one column of n16 groups against four weight rows w + r * stride. */
KILN_MVE_INLINE void kiln_mve_gemm_1x4(const int8_t *x, const int8_t *w, int stride, int n16,
                                       int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int g = 0; g < n16; ++g) {
    const int8x16_t v = vldrbq_s8(x + 16 * g);
    a0 = vmladavaq_s8(a0, v, vldrbq_s8(w + 16 * g));
    a1 = vmladavaq_s8(a1, v, vldrbq_s8(w + stride + 16 * g));
    a2 = vmladavaq_s8(a2, v, vldrbq_s8(w + 2 * stride + 16 * g));
    a3 = vmladavaq_s8(a3, v, vldrbq_s8(w + 3 * stride + 16 * g));
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* TFLite's requantization of four accumulators (one lane each) to int8, stored at o + the byte
 * offsets offs (vidupq_n_u32(0, 1) or (0, 2) at the call: the step must be an immediate): the
 * lanes of kiln_dsp_requant. t holds, per lane, the left shift t[12..15], the multiplier
 * t[0..3], the added constant (rounding nudge + zero point << right) t[4..7] and minus the right
 * shift t[8..11]: VQRDMULH is SaturatingRoundingDoublingHighMul, the sign of h is added as in
 * kiln_dsp_requant, VSHL by a negative amount is the arithmetic right shift, and [lo, hi] is
 * the activation's range inside int8. */
KILN_MVE_INLINE void kiln_mve_requant_store4(int32x4_t acc, const int32_t *t, int8_t *o,
                                             int32_t lo, int32_t hi, uint32x4_t offs) {
  const int32x4_t x = vshlq_s32(acc, vldrwq_s32(t + 12));
  const int32x4_t h = vqrdmulhq_s32(x, vldrwq_s32(t));
  int32x4_t v = vaddq_s32(vaddq_s32(h, vldrwq_s32(t + 4)), vshrq_n_s32(h, 31));
  v = vshlq_s32(v, vldrwq_s32(t + 8));
  v = vmaxq_s32(vminq_s32(v, vdupq_n_s32(hi)), vdupq_n_s32(lo));
  vstrbq_scatter_offset_s32(o, offs, v);
}

#endif /* KILN_MVE_H */
