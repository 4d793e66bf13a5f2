/* Bare-metal benchmark driver for a Kiln model on an MPS2/MPS3 board under
 * qemu-system-arm -icount shift=0 (one instruction = 1 ns of virtual time): runs kiln_run twice
 * on a fixed pseudo-random input and prints, on the host's stderr through semihosting, the
 * SysTick ticks of the second inference (the first warms nothing on these models, but the
 * convention matches the CMSIS-NN anchor, which counts the second of two). SysTick runs from the
 * core clock, so instructions = ticks * 1e9 / clock; bench/cortexm.sh does that conversion.
 *
 * Built with -finstrument-functions (and -DKILN_BENCH_LAYERS), it also prints the ticks spent in
 * every function of the second inference, by address, which bench/cortexm.sh maps to layers.
 * Not part of what Kiln generates: it lives in bench/ and is built only by bench/cortexm.sh. */
#include <stdint.h>

#include "kiln_model.h"
#include "kiln_semihost.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static const uint32_t kInputBytes[KILN_NUM_INPUTS] = KILN_INPUT_BYTES_LIST;
static const uint32_t kOutputBytes[KILN_NUM_OUTPUTS] = KILN_OUTPUT_BYTES_LIST;

static union {
  int64_t align;
  uint8_t bytes[KILN_INPUT0_BYTES];
} input0;
/* For count_unicorn.py, which fills its own copy of the input. */
volatile const uint32_t kiln_bench_input_bytes = KILN_INPUT0_BYTES;
static union {
  int64_t align;
  uint8_t bytes[KILN_OUTPUT0_BYTES];
} output0;

/* SysTick counts down from 2^24 - 1 at the core clock; 2^24 ticks are more instructions than
 * any of these inferences takes, so one wrap at most is undone by the mask. */
__attribute__((no_instrument_function)) static inline uint32_t now(void) {
  return SYST_CVR;
}

__attribute__((no_instrument_function)) static uint32_t elapsed(uint32_t from, uint32_t to) {
  return (from - to) & 0xFFFFFFu;
}

__attribute__((no_instrument_function)) static void put(const char *s) {
  static const char tt[] = ":tt";
  static int32_t fd = -1;
  if (fd < 0) {
    const uint32_t open_args[3] = {(uint32_t)(uintptr_t)tt, KILN_OPEN_APPEND, sizeof tt - 1};
    fd = kiln_semihost(KILN_SYS_OPEN, open_args);
  }
  uint32_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  const uint32_t write_args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)s, n};
  (void)kiln_semihost(KILN_SYS_WRITE, write_args);
}

__attribute__((no_instrument_function)) static void put_u32(uint32_t v, int hex) {
  char buf[12];
  int i = 11;
  buf[i] = '\0';
  do {
    const uint32_t d = hex ? v % 16u : v % 10u;
    buf[--i] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v = hex ? v / 16u : v / 10u;
  } while (v != 0);
  put(buf + i);
}

#ifdef KILN_BENCH_LAYERS
#define KILN_MAX_EVENTS 512
static volatile int recording;
static uint32_t ev_fn[KILN_MAX_EVENTS];
static uint32_t ev_ticks[KILN_MAX_EVENTS];
static int events;

/* Enter and exit of every instrumented function: the time stamp and the function, the exit
 * marked by the low bit (Thumb addresses are odd, so the hook clears it first). */
__attribute__((no_instrument_function)) void __cyg_profile_func_enter(void *fn, void *site) {
  (void)site;
  if (recording && events < KILN_MAX_EVENTS) {
    ev_ticks[events] = now();
    ev_fn[events++] = (uint32_t)(uintptr_t)fn & ~1u;
  }
}

__attribute__((no_instrument_function)) void __cyg_profile_func_exit(void *fn, void *site) {
  (void)site;
  if (recording && events < KILN_MAX_EVENTS) {
    ev_ticks[events] = now();
    ev_fn[events++] = ((uint32_t)(uintptr_t)fn & ~1u) | 1u;
  }
}
#endif

__attribute__((no_instrument_function)) int main(void) {
  (void)kInputBytes;
  (void)kOutputBytes;
  (void)kiln_bench_input_bytes; /* a volatile read keeps it past --gc-sections */
  uint32_t seed = 14u;
  for (uint32_t i = 0; i < sizeof input0.bytes; ++i) {
    seed = seed * 1664525u + 1013904223u;
    input0.bytes[i] = (uint8_t)(seed >> 24);
  }
  const void *in[1] = {input0.bytes};
  void *out[1] = {output0.bytes};
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 5u; /* enabled, core clock, no interrupt */
  (void)kiln_run(in, out);
#ifdef KILN_BENCH_LAYERS
  recording = 1;
#endif
  const uint32_t t0 = now();
  (void)kiln_run(in, out);
  const uint32_t t1 = now();
#ifdef KILN_BENCH_LAYERS
  recording = 0;
  for (int e = 0; e < events; ++e) {
    put(ev_fn[e] & 1u ? "exit " : "enter ");
    put_u32(ev_fn[e] & ~1u, 1);
    put(" ");
    put_u32(elapsed(t0, ev_ticks[e]), 0);
    put("\n");
  }
#endif
  put("ticks ");
  put_u32(elapsed(t0, t1), 0);
  put("\n");
  /* An FNV-1a hash of the output, so that builds of one model with different kernels can be
   * compared (bench/sparse.sh does). */
  uint32_t sum = 2166136261u;
  for (uint32_t i = 0; i < sizeof output0.bytes; ++i) {
    sum = (sum ^ output0.bytes[i]) * 16777619u;
  }
  put("output ");
  put_u32(sum, 1);
  put("\n");
  return 0;
}
