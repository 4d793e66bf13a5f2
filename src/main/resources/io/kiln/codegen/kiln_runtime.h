/* Fixed-point helpers shared by Kiln's generated kernels. They mirror TFLite's integer
 * arithmetic (gemmlowp rounding, double-rounding requantization) bit for bit; Kiln computes
 * every multiplier and shift at compile time, so nothing here touches floating point. */
#ifndef KILN_RUNTIME_H
#define KILN_RUNTIME_H

#include <stdint.h>

/* High 32 bits of 2*a*b rounded half away from zero; the one overflowing case saturates. */
static inline int32_t kiln_srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) {
    return INT32_MAX;
  }
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? (INT64_C(1) << 30) : (INT64_C(1) - (INT64_C(1) << 30));
  /* C99 division truncates toward zero, which together with the nudge rounds half away. */
  return (int32_t)((ab + nudge) / (INT64_C(1) << 31));
}

/* x / 2^e rounded to nearest, ties away from zero (gemmlowp RoundingDivideByPOT), 0 <= e <= 31. */
static inline int32_t kiln_rdbp(int32_t x, int e) {
  const int32_t mask = (int32_t)((INT64_C(1) << e) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  /* >> of a negative int is an arithmetic shift on every compiler Kiln targets. */
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier: real multiplier = mult * 2^(shift - 31). */
static inline int32_t kiln_mbqm(int32_t x, int32_t mult, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return kiln_rdbp(kiln_srdhm(x * (1 << left), mult), right);
}

/* Requantize an int32 accumulator to the output zero point and clamp to [lo, hi]: the same
 * value as kiln_mbqm(acc, mult, shift) + zp, clamped, written without branches so that a loop
 * over channels vectorizes. It relies on mult != INT32_MIN (a quantized multiplier is 0 or in
 * [2^30, 2^31)), which rules out kiln_srdhm's one saturating case. */
static inline int32_t kiln_requant(int32_t acc, int32_t mult, int shift, int32_t zp,
                                   int32_t lo, int32_t hi) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  /* TFLM multiplies by 2^left in int32; the unsigned shift is the same wherever that is defined. */
  const int32_t x = (int32_t)((uint32_t)acc << left);
  const int64_t ab = (int64_t)x * (int64_t)mult;
  const int64_t nudged = ab + (ab >= 0 ? (INT64_C(1) << 30) : (INT64_C(1) - (INT64_C(1) << 30)));
  /* Division by 2^31 truncating toward zero: bias negatives by 2^31 - 1, then shift. Bits 31..62
   * are the quotient, so a logical shift keeps them and needs no 64-bit arithmetic shift. */
  const int64_t biased = nudged + (nudged < 0 ? INT64_C(0x7fffffff) : 0);
  const int32_t high = (int32_t)(uint32_t)((uint64_t)biased >> 31);
  /* kiln_rdbp(high, right), inlined with the same rounding. */
  const int32_t mask = (int32_t)((UINT32_C(1) << right) - 1u);
  const int32_t remainder = high & mask;
  const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  int32_t v = (high >> right) + (remainder > threshold ? 1 : 0) + zp;
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

/* gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent: x * 2^e, saturated. */
static inline int32_t kiln_sat_shl(int32_t x, int e) {
  const int32_t threshold = (int32_t)((INT64_C(1) << (31 - e)) - 1);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return (int32_t)((uint32_t)x << e);
}

/* exp(a) for a in [-1/4, 0); a and the result are Q0.31 (gemmlowp's Taylor step around -1/8). */
static inline int32_t kiln_exp_quarter(int32_t a) {
  const int32_t constant_term = 1895147668;  /* exp(-1/8) */
  const int32_t one_third = 715827883;
  const int32_t x = a + (1 << 28);
  const int32_t x2 = kiln_srdhm(x, x);
  const int32_t x3 = kiln_srdhm(x2, x);
  const int32_t x4 = kiln_srdhm(x2, x2);
  const int32_t x4_over_4 = kiln_rdbp(x4, 2);
  const int32_t poly = kiln_rdbp(kiln_srdhm(x4_over_4 + x3, one_third) + x2, 1);
  return constant_term + kiln_srdhm(constant_term, x + poly);
}

/* exp(a) for a <= 0 given in Q5.26; the result is Q0.31 (gemmlowp exp_on_negative_values). */
static inline int32_t kiln_exp_neg_q5(int32_t a) {
  const int32_t one_quarter = 1 << 24;
  const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
  int32_t result = kiln_exp_quarter(kiln_sat_shl(a_mod_quarter_minus_quarter, 5));
  const int32_t remainder = a_mod_quarter_minus_quarter - a;
  /* Multiply in exp(-2^k) for each bit of the integer part (Q0.31 constants). */
  if (remainder & (1 << 24)) result = kiln_srdhm(result, 1672461947);
  if (remainder & (1 << 25)) result = kiln_srdhm(result, 1302514674);
  if (remainder & (1 << 26)) result = kiln_srdhm(result, 790015084);
  if (remainder & (1 << 27)) result = kiln_srdhm(result, 290630308);
  if (remainder & (1 << 28)) result = kiln_srdhm(result, 39332535);
  if (remainder & (1 << 29)) result = kiln_srdhm(result, 720401);
  if (remainder & (1 << 30)) result = kiln_srdhm(result, 242);
  return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1) in Q0.31 by three Newton-Raphson steps in Q2.29 (gemmlowp). */
static inline int32_t kiln_one_over_one_plus_x(int32_t a) {
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  int32_t x = 1515870810 + kiln_srdhm(half_denominator, -1010580540);
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = kiln_srdhm(half_denominator, x);
    const int32_t one_minus = (1 << 29) - half_denominator_times_x;
    x = x + kiln_sat_shl(kiln_srdhm(x, one_minus), 2);
  }
  return kiln_sat_shl(x, 1);
}

/* TFLite's int8 softmax over rows of `depth` elements (output scale 1/256, zero point -128). */
static inline void kiln_softmax_i8(const int8_t *in, int8_t *out, int rows, int depth,
                                   int32_t beta_mult, int beta_left_shift, int32_t diff_min) {
  for (int r = 0; r < rows; ++r) {
    const int8_t *x = in + r * depth;
    int8_t *y = out + r * depth;
    int32_t max_in_row = INT8_MIN;
    for (int c = 0; c < depth; ++c) {
      max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
    }
    /* Sum of exps in Q12.19: at most depth * 2^19, so depth < 4096 cannot overflow. */
    int32_t sum_of_exps = 0;
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max_in_row;
      if (diff >= diff_min) {
        const int32_t scaled = kiln_srdhm(diff * (1 << beta_left_shift), beta_mult);
        sum_of_exps += kiln_rdbp(kiln_exp_neg_q5(scaled), 12);
      }
    }
    int headroom_plus_one = 0;
    while (headroom_plus_one < 32 && !((uint32_t)sum_of_exps & (UINT32_C(1) << (31 - headroom_plus_one)))) {
      ++headroom_plus_one;
    }
    const int num_bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (UINT32_C(1) << 31));
    const int32_t shifted_scale = kiln_one_over_one_plus_x(shifted_sum_minus_one);
    const int exponent = num_bits_over_unit + 31 - 8;
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max_in_row;
      if (diff >= diff_min) {
        const int32_t scaled = kiln_srdhm(diff * (1 << beta_left_shift), beta_mult);
        const int32_t e = kiln_exp_neg_q5(scaled);
        int32_t v = kiln_rdbp(kiln_srdhm(shifted_scale, e), exponent) - 128;
        v = v < -128 ? -128 : v;
        y[c] = (int8_t)(v > 127 ? 127 : v);
      } else {
        y[c] = INT8_MIN;
      }
    }
  }
}

#endif /* KILN_RUNTIME_H */
