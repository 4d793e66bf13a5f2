/* Building blocks of Kiln's kernels for the Arm DSP extension (Cortex-M4, M7, M33, M55), written
 * with the ACLE intrinsics of arm_acle.h. Every function is inlined into the layer that calls it
 * with constant arguments, so the compiler specializes it to the layer.
 *
 * The int8 x int8 dot products use SMLAD, two 16x16 multiply-accumulates per instruction on
 * 2 x int16 pairs. SXTB16 sign-extends bytes 0 and 2 of a word to such a pair, and SXTB16 of the
 * word rotated by 8 bytes 1 and 3; so a group of four int8 (x0, x1, x2, x3) is used as the pairs
 * (x0, x2) and (x1, x3), on both sides of every product. */
#ifndef KILN_DSP_H
#define KILN_DSP_H

#include <stdint.h>
#include <string.h>

#include <arm_acle.h>

#if !defined(__ARM_FEATURE_DSP) || __ARM_FEATURE_DSP != 1
#error "this model was generated for a core with the Arm DSP extension: compile it with -mcpu=cortex-m4, cortex-m7, cortex-m33 or cortex-m55, or generate it for the generic core"
#endif

#define KILN_DSP_INLINE static inline __attribute__((always_inline))

/* A 32-bit load from any address; the DSP-extension cores load unaligned words in hardware. */
KILN_DSP_INLINE uint32_t kiln_dsp_ld32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

KILN_DSP_INLINE uint32_t kiln_dsp_ror8(uint32_t w) {
  return (w >> 8) | (w << 24);
}

/* Widens n4 groups of four int8 at src into 2 x n4 int16 pairs at dst, in SMLAD order: for each
 * group (x0, x2) then (x1, x3). */
KILN_DSP_INLINE void kiln_dsp_widen(const int8_t *src, uint32_t *dst, int n4) {
  for (int i = 0; i < n4; ++i) {
    const uint32_t w = kiln_dsp_ld32(src + 4 * i);
    dst[2 * i] = (uint32_t)__sxtb16(w);
    dst[2 * i + 1] = (uint32_t)__sxtb16(kiln_dsp_ror8(w));
  }
}

/* One group of four k of the 2 x 2 block: weights of rows a and b against columns x and y. */
#define KILN_DSP_GEMM_2X2_STEP(g)                                          \
  do {                                                                     \
    uint32_t w_ = kiln_dsp_ld32(wa + 4 * (g));                             \
    const int32_t ea_ = __sxtb16(w_), oa_ = __sxtb16(kiln_dsp_ror8(w_));   \
    w_ = kiln_dsp_ld32(wb + 4 * (g));                                      \
    const int32_t eb_ = __sxtb16(w_), ob_ = __sxtb16(kiln_dsp_ror8(w_));   \
    uint32_t x_ = xa[2 * (g)];                                             \
    a00 = __smlad(x_, ea_, a00);                                           \
    a01 = __smlad(x_, eb_, a01);                                           \
    x_ = xa[2 * (g) + 1];                                                  \
    a00 = __smlad(x_, oa_, a00);                                           \
    a01 = __smlad(x_, ob_, a01);                                           \
    x_ = xb[2 * (g)];                                                      \
    a10 = __smlad(x_, ea_, a10);                                           \
    a11 = __smlad(x_, eb_, a11);                                           \
    x_ = xb[2 * (g) + 1];                                                  \
    a10 = __smlad(x_, oa_, a10);                                           \
    a11 = __smlad(x_, ob_, a11);                                           \
  } while (0)

/* acc += the dot products of two widened columns xa, xb (n4 groups each) with two int8 weight
 * rows wa and wb = wa + stride: acc = {xa.wa, xa.wb, xb.wa, xb.wb}. Four accumulators, two
 * weight pairs and one column word are live at a time, which fits the core's registers; two
 * groups per iteration halve the loop overhead. */
KILN_DSP_INLINE void kiln_dsp_gemm_2x2(const uint32_t *xa, const uint32_t *xb, const int8_t *wa,
                                       int stride, int n4, int32_t acc[4]) {
  const int8_t *wb = wa + stride;
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  int g = 0;
  for (; g + 2 <= n4; g += 2) {
    KILN_DSP_GEMM_2X2_STEP(g);
    KILN_DSP_GEMM_2X2_STEP(g + 1);
  }
  if (g < n4) {
    KILN_DSP_GEMM_2X2_STEP(g);
  }
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
}

/* One group of four k of the 1 x 4 block: one column pair against four weight rows. */
#define KILN_DSP_GEMM_1X4_STEP(g)                                          \
  do {                                                                     \
    const uint32_t xe_ = x[2 * (g)], xo_ = x[2 * (g) + 1];                 \
    uint32_t w_ = kiln_dsp_ld32(w + 4 * (g));                              \
    a0 = __smlad(xe_, __sxtb16(w_), a0);                                   \
    a0 = __smlad(xo_, __sxtb16(kiln_dsp_ror8(w_)), a0);                    \
    w_ = kiln_dsp_ld32(w + stride + 4 * (g));                              \
    a1 = __smlad(xe_, __sxtb16(w_), a1);                                   \
    a1 = __smlad(xo_, __sxtb16(kiln_dsp_ror8(w_)), a1);                    \
    w_ = kiln_dsp_ld32(w + 2 * stride + 4 * (g));                          \
    a2 = __smlad(xe_, __sxtb16(w_), a2);                                   \
    a2 = __smlad(xo_, __sxtb16(kiln_dsp_ror8(w_)), a2);                    \
    w_ = kiln_dsp_ld32(w + 3 * stride + 4 * (g));                          \
    a3 = __smlad(xe_, __sxtb16(w_), a3);                                   \
    a3 = __smlad(xo_, __sxtb16(kiln_dsp_ror8(w_)), a3);                    \
  } while (0)

/* acc += the dot products of one widened column x (n4 groups) with four int8 weight rows
 * w + r * stride: the shape of a fully-connected layer, where each weight is used once. */
KILN_DSP_INLINE void kiln_dsp_gemm_1x4(const uint32_t *x, const int8_t *w, int stride, int n4,
                                       int32_t acc[4]) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int g = 0;
  for (; g + 2 <= n4; g += 2) {
    KILN_DSP_GEMM_1X4_STEP(g);
    KILN_DSP_GEMM_1X4_STEP(g + 1);
  }
  if (g < n4) {
    KILN_DSP_GEMM_1X4_STEP(g);
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* TFLite's requantization of an int32 accumulator to int8 (MultiplyByQuantizedMultiplier, then
 * the zero point and int8 saturation), the same value as kiln_requant before its activation
 * clamp, for right >= 1:
 *  - SaturatingRoundingDoublingHighMul(x, mult) is floor((x * mult + 2^30) / 2^31) for every x
 *    and mult != INT32_MIN (TFLM's nudge and truncating division round ties up on both signs),
 *    one 64-bit multiply-accumulate;
 *  - RoundingDivideByPOT(h, right) is (h + 2^(right-1) - (h < 0)) >> right, which needs
 *    |h| + 2^(right-1) < 2^31: the code generator checks that bound per layer.
 * SSAT then saturates to [-128, 127]. */
KILN_DSP_INLINE int32_t kiln_dsp_requant(int32_t acc, int32_t mult, int left, int right,
                                         int32_t zp) {
  const int32_t x = (int32_t)((uint32_t)acc << left);
  const int32_t h = (int32_t)(((int64_t)x * mult + (INT64_C(1) << 30)) >> 31);
  const int32_t r = (h + (INT32_C(1) << (right - 1)) - (int32_t)((uint32_t)h >> 31)) >> right;
  return __ssat(r + zp, 8);
}

/* Clamps v to the activation's [lo, hi]. */
KILN_DSP_INLINE int32_t kiln_dsp_clamp(int32_t v, int32_t lo, int32_t hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

#endif /* KILN_DSP_H */
