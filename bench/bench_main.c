/* Timing and instruction-counting driver for a Kiln-generated model (used by bench/cpu.sh).
 *
 *   bench_main time REPS N   runs REPS repetitions of N back-to-back inferences and prints the
 *                            median, minimum and maximum nanoseconds per inference;
 *   bench_main count N       runs N inferences and prints a checksum of the last output, so
 *                            that two runs under callgrind differ only by N - N' inferences.
 *
 * Inputs are fixed pseudo-random bytes (the same every run); the timed code is kiln_run alone. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln_model.h"

static const size_t kInputBytes[KILN_NUM_INPUTS] = KILN_INPUT_BYTES_LIST;
static const size_t kOutputBytes[KILN_NUM_OUTPUTS] = KILN_OUTPUT_BYTES_LIST;

/* int64_t elements keep every buffer aligned for any element type the model uses. */
static int64_t in_store[KILN_NUM_INPUTS][(1 << 20) / 8];
static int64_t out_store[KILN_NUM_OUTPUTS][(1 << 16) / 8];

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a;
  const double y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* Fills the inputs with bytes from a fixed linear congruential generator. A float input gets
 * small floats instead, so the quantize step sees ordinary numbers. */
static void fill_inputs(void) {
  uint32_t s = 12345u;
  for (int i = 0; i < KILN_NUM_INPUTS; ++i) {
    unsigned char *p = (unsigned char *)in_store[i];
    for (size_t b = 0; b < kInputBytes[i]; ++b) {
      s = s * 1664525u + 1013904223u;
      p[b] = (unsigned char)(s >> 24);
    }
  }
#ifdef KILN_BENCH_FLOAT_INPUT
  for (int i = 0; i < KILN_NUM_INPUTS; ++i) {
    float *f = (float *)in_store[i];
    for (size_t k = 0; k < kInputBytes[i] / sizeof(float); ++k) {
      s = s * 1664525u + 1013904223u;
      f[k] = (float)(s >> 8) / 16777216.0f;
    }
  }
#endif
}

int main(int argc, char **argv) {
  const void *inputs[KILN_NUM_INPUTS];
  void *outputs[KILN_NUM_OUTPUTS];
  for (int i = 0; i < KILN_NUM_INPUTS; ++i) {
    if (kInputBytes[i] > sizeof in_store[i]) {
      fprintf(stderr, "bench_main: input %d too large\n", i);
      return 2;
    }
    inputs[i] = in_store[i];
  }
  for (int j = 0; j < KILN_NUM_OUTPUTS; ++j) {
    if (kOutputBytes[j] > sizeof out_store[j]) {
      fprintf(stderr, "bench_main: output %d too large\n", j);
      return 2;
    }
    outputs[j] = out_store[j];
  }
  fill_inputs();
  if (argc == 4 && strcmp(argv[1], "time") == 0) {
    const int reps = atoi(argv[2]);
    const int n = atoi(argv[3]);
    if (reps < 1 || reps > 1000 || n < 1) {
      fprintf(stderr, "bench_main: bad REPS or N\n");
      return 2;
    }
    double per[1000];
    kiln_run(inputs, outputs); /* warm the caches once */
    for (int r = 0; r < reps; ++r) {
      const double t0 = now_ns();
      for (int k = 0; k < n; ++k) {
        kiln_run(inputs, outputs);
      }
      per[r] = (now_ns() - t0) / n;
    }
    qsort(per, (size_t)reps, sizeof per[0], cmp_double);
    const double median = reps % 2 ? per[reps / 2] : (per[reps / 2 - 1] + per[reps / 2]) / 2;
    printf("median_ns %.1f min_ns %.1f max_ns %.1f\n", median, per[0], per[reps - 1]);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "count") == 0) {
    const int n = atoi(argv[2]);
    for (int k = 0; k < n; ++k) {
      kiln_run(inputs, outputs);
    }
    uint32_t sum = 0;
    for (int j = 0; j < KILN_NUM_OUTPUTS; ++j) {
      const unsigned char *p = (const unsigned char *)out_store[j];
      for (size_t b = 0; b < kOutputBytes[j]; ++b) {
        sum = sum * 31u + p[b];
      }
    }
    printf("checksum %08x\n", (unsigned)sum);
    return 0;
  }
  fprintf(stderr, "usage: bench_main time REPS N | bench_main count N\n");
  return 2;
}
