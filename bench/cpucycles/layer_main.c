/* Per-layer instruction counter for a Kiln model on an emulated core (used by bench/cpucycles.sh;
 * not part of what Kiln generates). It runs kiln_run twice on a fixed pseudo-random input and,
 * for the second inference, prints through semihosting one line per enter and exit of every
 * instrumented function (the build uses -finstrument-functions on kiln_model.c only):
 *
 *   enter|exit ADDRESS COUNT        COUNT since the inference began
 *   total COUNT                     the whole second inference
 *   mcycle CYCLES                   (RISC-V) mcycle over the same span
 *
 * The counter is the hart's minstret CSR on RISC-V (exact), SysTick on the Arm boards under
 * qemu-system-arm -icount shift=0, where one instruction takes 1 ns of virtual time and SysTick
 * runs at the 25 MHz core clock: COUNT is then in ticks of 40 instructions, which the script
 * converts. */
#include <stdint.h>

#include "kiln_model.h"
#include "kiln_semihost.h"

#define NO_HOOK __attribute__((no_instrument_function))

#if defined(__riscv)
/* csrrs rd, minstret, x0 spelled as its encoding: gcc 12 wants Zicsr in -march for "csrr". */
NO_HOOK static inline uint32_t now(void) {
  uint32_t v;
  __asm__ volatile(".insn i 0x73, 2, %0, x0, -1278" : "=r"(v));
  return v;
}
/* mcycle (csrrs rd, mcycle, x0), printed beside minstret: QEMU has no timing model, so under
 * -icount it should equal minstret, which the script checks. */
NO_HOOK static inline uint32_t cycles(void) {
  uint32_t v;
  __asm__ volatile(".insn i 0x73, 2, %0, x0, -1280" : "=r"(v));
  return v;
}
NO_HOOK static void start_counter(void) {}
NO_HOOK static uint32_t elapsed(uint32_t from, uint32_t to) {
  return to - from;
}
#else
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
NO_HOOK static inline uint32_t now(void) {
  return SYST_CVR;
}
NO_HOOK static void start_counter(void) {
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 5u; /* enabled, core clock, no interrupt */
}
/* SysTick counts down, 24 bits; one wrap (2^24 ticks, 671 M instructions) at most is undone. */
NO_HOOK static uint32_t elapsed(uint32_t from, uint32_t to) {
  return (from - to) & 0xFFFFFFu;
}
#endif

static union {
  int64_t align;
  uint8_t bytes[KILN_INPUT0_BYTES];
} input0;
static union {
  int64_t align;
  uint8_t bytes[KILN_OUTPUT0_BYTES];
} output0;

NO_HOOK static void put(const char *s) {
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

NO_HOOK static void put_u32(uint32_t v, int hex) {
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

#define MAX_EVENTS 4096
static volatile int recording;
static uint32_t ev_fn[MAX_EVENTS];
static uint32_t ev_count[MAX_EVENTS];
static int events;
static int lost;

/* Function addresses are even on both (Thumb's odd bit is cleared), so bit 0 marks an exit. */
NO_HOOK static void record(void *fn, uint32_t exit_bit) {
  const uint32_t t = now();
  if (!recording) {
    return;
  }
  if (events == MAX_EVENTS) {
    lost = 1;
    return;
  }
  ev_count[events] = t;
  ev_fn[events++] = ((uint32_t)(uintptr_t)fn & ~1u) | exit_bit;
}

NO_HOOK void __cyg_profile_func_enter(void *fn, void *site) {
  (void)site;
  record(fn, 0u);
}

NO_HOOK void __cyg_profile_func_exit(void *fn, void *site) {
  (void)site;
  record(fn, 1u);
}

NO_HOOK int main(void) {
  uint32_t seed = 14u;
  for (uint32_t i = 0; i < sizeof input0.bytes; ++i) {
    seed = seed * 1664525u + 1013904223u;
    input0.bytes[i] = (uint8_t)(seed >> 24);
  }
  const void *in[1] = {input0.bytes};
  void *out[1] = {output0.bytes};
  start_counter();
  (void)kiln_run(in, out);
  recording = 1;
#if defined(__riscv)
  const uint32_t c0 = cycles();
#endif
  const uint32_t t0 = now();
  (void)kiln_run(in, out);
  const uint32_t t1 = now();
#if defined(__riscv)
  const uint32_t c1 = cycles();
#endif
  recording = 0;
  for (int e = 0; e < events; ++e) {
    put(ev_fn[e] & 1u ? "exit " : "enter ");
    put_u32(ev_fn[e] & ~1u, 1);
    put(" ");
    put_u32(elapsed(t0, ev_count[e]), 0);
    put("\n");
  }
  put("total ");
  put_u32(elapsed(t0, t1), 0);
  put("\n");
#if defined(__riscv)
  put("mcycle ");
  put_u32(c1 - c0, 0);
  put("\n");
#endif
  return lost ? 4 : 0;
}
