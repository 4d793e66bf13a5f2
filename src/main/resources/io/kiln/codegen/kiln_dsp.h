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

/* Every layer function stays out of line (inlined into kiln_run, gcc runs out of registers for
 * the kernels), and gcc's pre-allocation scheduler is off for it: hoisting the weight loads of
 * a block ahead of its multiply-accumulates spills the accumulators (measured on the MLPerf Tiny
 * models under QEMU: 4-21% more instructions with it). */
#if defined(__clang__)
#define KILN_DSP_KERNEL __attribute__((noinline))
#else
#define KILN_DSP_KERNEL __attribute__((noinline, optimize("no-schedule-insns")))
#endif

/* A 32-bit load from any address; the DSP-extension cores load unaligned words in hardware. */
KILN_DSP_INLINE uint32_t kiln_dsp_ld32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

KILN_DSP_INLINE uint32_t kiln_dsp_ror8(uint32_t w) {
  return (w >> 8) | (w << 24);
}

/* The bottom halves of two words as one word, (lo's bottom, hi's bottom): PKHBT. ACLE has no
 * intrinsic for it and gcc spells the C form as two instructions, so it is written out. */
KILN_DSP_INLINE uint32_t kiln_dsp_pack_bottoms(uint32_t lo, uint32_t hi) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
  return r;
}

/* The top halves of two words as one word, (lo's top, hi's top): PKHTB. */
KILN_DSP_INLINE uint32_t kiln_dsp_pack_tops(uint32_t lo, uint32_t hi) {
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
  return r;
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

/* Two ways to turn one word of four int8 weights (w0, w1, w2, w3) into the pairs SMLAD needs:
 *  - SXTB16 of the word and of the word rotated by 8: (w0, w2) and (w1, w3), three
 *    instructions (gcc does not fold the rotation into SXTB16);
 *  - two ANDs with 0xFF00FF00, of the word shifted left by 8 and of the word: (256 w0, 256 w2)
 *    and (256 w1, 256 w3), two instructions (the shift is an operand of the first AND), so the
 *    sums come out 256 times too large and are shifted back at the end: exact while every
 *    partial sum times 256 fits in int32, which the code generator checks per layer.
 * The mask is read from a volatile once per block so that gcc keeps it in a register instead of
 * encoding it as an immediate, which would cost the shift its own instruction. */
static volatile const uint32_t kiln_dsp_byte_mask = 0xFF00FF00u;

#define KILN_DSP_PAIRS_SXTB16(w, e, o) \
  const int32_t e = __sxtb16(w), o = __sxtb16(kiln_dsp_ror8(w))
#define KILN_DSP_PAIRS_X256(w, e, o) \
  const int32_t e = (int32_t)(((w) << 8) & mask_), o = (int32_t)((w) & mask_)

/* One group of four k of the 2 x 2 block: weights of rows a and b against columns x and y. */
#define KILN_DSP_GEMM_2X2_STEP(g, PAIRS)                                   \
  do {                                                                     \
    uint32_t w_ = kiln_dsp_ld32(wa + 4 * (g));                             \
    PAIRS(w_, ea_, oa_);                                                   \
    w_ = kiln_dsp_ld32(wb + 4 * (g));                                      \
    PAIRS(w_, eb_, ob_);                                                   \
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

/* The dot products of two widened columns xa, xb (n4 groups each) with two int8 weight rows wa
 * and wb = wa + stride, into acc = {xa.wa, xa.wb, xb.wa, xb.wb} (SCALE 1 or 256, see above).
 * Four accumulators, two weight pairs and one column word are live at a time, which fits the
 * core's registers; two groups per iteration, unrolled four times, halve the loop overhead. */
#define KILN_DSP_GEMM_2X2(NAME, PAIRS, SHIFT)                                               \
  KILN_DSP_INLINE void NAME(const uint32_t *xa, const uint32_t *xb, const int8_t *wa,       \
                            int stride, int n4, int32_t acc[4]) {                           \
    const uint32_t mask_ = kiln_dsp_byte_mask;                                              \
    const int8_t *wb = wa + stride;                                                         \
    int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;                                             \
    int g = 0;                                                                              \
    (void)mask_;                                                                            \
    _Pragma("GCC unroll 4") for (; g + 2 <= n4; g += 2) {                                   \
      KILN_DSP_GEMM_2X2_STEP(g, PAIRS);                                                     \
      KILN_DSP_GEMM_2X2_STEP(g + 1, PAIRS);                                                 \
    }                                                                                       \
    if (g < n4) {                                                                           \
      KILN_DSP_GEMM_2X2_STEP(g, PAIRS);                                                     \
    }                                                                                       \
    acc[0] = a00 >> (SHIFT);                                                                \
    acc[1] = a01 >> (SHIFT);                                                                \
    acc[2] = a10 >> (SHIFT);                                                                \
    acc[3] = a11 >> (SHIFT);                                                                \
  }

KILN_DSP_GEMM_2X2(kiln_dsp_gemm_2x2, KILN_DSP_PAIRS_X256, 8)
KILN_DSP_GEMM_2X2(kiln_dsp_gemm_2x2_sxtb16, KILN_DSP_PAIRS_SXTB16, 0)

/* One group of four k of the 1 x 4 block: one column pair against four weight rows. */
#define KILN_DSP_GEMM_1X4_STEP(g, PAIRS)                                   \
  do {                                                                     \
    const uint32_t xe_ = x[2 * (g)], xo_ = x[2 * (g) + 1];                 \
    uint32_t w_ = kiln_dsp_ld32(w + 4 * (g));                              \
    {                                                                      \
      PAIRS(w_, e_, o_);                                                   \
      a0 = __smlad(xe_, e_, a0);                                           \
      a0 = __smlad(xo_, o_, a0);                                           \
    }                                                                      \
    w_ = kiln_dsp_ld32(w + stride + 4 * (g));                              \
    {                                                                      \
      PAIRS(w_, e_, o_);                                                   \
      a1 = __smlad(xe_, e_, a1);                                           \
      a1 = __smlad(xo_, o_, a1);                                           \
    }                                                                      \
    w_ = kiln_dsp_ld32(w + 2 * stride + 4 * (g));                          \
    {                                                                      \
      PAIRS(w_, e_, o_);                                                   \
      a2 = __smlad(xe_, e_, a2);                                           \
      a2 = __smlad(xo_, o_, a2);                                           \
    }                                                                      \
    w_ = kiln_dsp_ld32(w + 3 * stride + 4 * (g));                          \
    {                                                                      \
      PAIRS(w_, e_, o_);                                                   \
      a3 = __smlad(xe_, e_, a3);                                           \
      a3 = __smlad(xo_, o_, a3);                                           \
    }                                                                      \
  } while (0)

/* The dot products of one widened column x (n4 groups) with four int8 weight rows
 * w + r * stride, into acc[r]: the shape of a fully-connected layer, where each weight is used
 * once. */
#define KILN_DSP_GEMM_1X4(NAME, PAIRS, SHIFT)                                                \
  KILN_DSP_INLINE void NAME(const uint32_t *x, const int8_t *w, int stride, int n4,          \
                            int32_t acc[4]) {                                                \
    const uint32_t mask_ = kiln_dsp_byte_mask;                                               \
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                                  \
    int g = 0;                                                                               \
    (void)mask_;                                                                             \
    _Pragma("GCC unroll 4") for (; g + 2 <= n4; g += 2) {                                    \
      KILN_DSP_GEMM_1X4_STEP(g, PAIRS);                                                      \
      KILN_DSP_GEMM_1X4_STEP(g + 1, PAIRS);                                                  \
    }                                                                                        \
    if (g < n4) {                                                                            \
      KILN_DSP_GEMM_1X4_STEP(g, PAIRS);                                                      \
    }                                                                                        \
    acc[0] = a0 >> (SHIFT);                                                                  \
    acc[1] = a1 >> (SHIFT);                                                                  \
    acc[2] = a2 >> (SHIFT);                                                                  \
    acc[3] = a3 >> (SHIFT);                                                                  \
  }

KILN_DSP_GEMM_1X4(kiln_dsp_gemm_1x4, KILN_DSP_PAIRS_X256, 8)
KILN_DSP_GEMM_1X4(kiln_dsp_gemm_1x4_sxtb16, KILN_DSP_PAIRS_SXTB16, 0)

/* TFLite's requantization of an int32 accumulator to int8 (MultiplyByQuantizedMultiplier, then
 * the zero point and int8 saturation), the same value as kiln_requant before its activation
 * clamp, for right >= 1:
 *  - SaturatingRoundingDoublingHighMul(x, mult) is floor((x * mult + 2^30) / 2^31) for every x
 *    and mult != INT32_MIN (TFLM's nudge and truncating division round ties up on both signs),
 *    one 64-bit multiply-accumulate;
 *  - RoundingDivideByPOT(h, right) + zp is (h + add - (h < 0)) >> right with
 *    add = 2^(right-1) + zp * 2^right, which needs |h| + |add| < 2^31: the code generator checks
 *    that bound per layer and computes add at compile time.
 * SSAT then saturates to [-128, 127]. */
KILN_DSP_INLINE int32_t kiln_dsp_requant(int32_t acc, int32_t mult, int left, int32_t add,
                                         int right) {
  const int32_t x = (int32_t)((uint32_t)acc << left);
  const int32_t h = (int32_t)(((int64_t)x * mult + (INT64_C(1) << 30)) >> 31);
  return __ssat((h + add - (int32_t)((uint32_t)h >> 31)) >> right, 8);
}

/* Clamps v to the activation's [lo, hi]. */
KILN_DSP_INLINE int32_t kiln_dsp_clamp(int32_t v, int32_t lo, int32_t hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

#endif /* KILN_DSP_H */
