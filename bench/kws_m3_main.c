/* Instruction counts of a Kiln-generated model on an emulated Cortex-M3 (used by bench/kws.sh).
 *
 * Runs under qemu-system-arm -M mps2-an385 -icount shift=6: every instruction then advances the
 * virtual clock by 64 ns, and SysTick, clocked from the 25 MHz processor clock, counts that
 * virtual time (25 MHz: 40 ns a tick, so 1.6 ticks an instruction). The driver times RUNS
 * inferences in a row on fixed pseudo-random inputs (a stateful model carries its state along),
 * subtracts an empty measurement, and prints the median, minimum and maximum in ticks, with a
 * calibration loop of known length so the conversion is checked, not assumed. */
#include <stdint.h>
#include <string.h>

#include "kiln_model.h"
#include "kiln_semihost.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define RUNS 15

static int64_t in_store[(KILN_INPUT0_BYTES + 7) / 8];
static int64_t out_store[(KILN_OUTPUT0_BYTES + 7) / 8];

/* SYS_WRITE0: a NUL-terminated string to the debug console (QEMU's stdout). */
static void put(const char *s) { (void)kiln_semihost(0x04, s); }

static void put_u(uint32_t v) {
  char b[12];
  int i = 11;
  b[i] = '\0';
  do {
    b[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  put(b + i);
}

/* What = 0: nothing; 1: one inference; 2: a loop of exactly 2 * 50000 instructions. */
static uint32_t ticks(int what) {
  uint32_t a, b;
  SYST_CVR = 0;
  a = SYST_CVR;
  if (what == 1) {
    kiln_run_single(in_store, out_store);
  } else if (what == 2) {
    uint32_t n = 50000;
    __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
  }
  b = SYST_CVR;
  return (a - b) & 0xFFFFFFu; /* a down counter, 24 bits */
}

static void sort(uint32_t *v, int n) {
  for (int i = 1; i < n; ++i) {
    for (int j = i; j > 0 && v[j - 1] > v[j]; --j) {
      uint32_t t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  }
}

int main(void) {
  uint32_t empty[RUNS], full[RUNS], loop[RUNS];
  uint8_t *in = (uint8_t *)in_store;
  uint32_t x = 12345;
  for (uint32_t i = 0; i < KILN_INPUT0_BYTES; ++i) {
    x = x * 1103515245u + 12345u;
    in[i] = (uint8_t)(x >> 16);
  }
  SYST_RVR = 0xFFFFFFu;
  SYST_CSR = 5u; /* enable, processor clock, no interrupt */
  for (int r = 0; r < RUNS; ++r) {
    empty[r] = ticks(0);
    full[r] = ticks(1);
    loop[r] = ticks(2);
  }
  sort(empty, RUNS);
  sort(full, RUNS);
  sort(loop, RUNS);
  put("calibration_ticks ");
  put_u(loop[RUNS / 2] - empty[RUNS / 2]);
  put(" for 100000 instructions\n");
  put("ticks ");
  put_u(full[RUNS / 2] - empty[RUNS / 2]);
  put(" min ");
  put_u(full[0] - empty[RUNS / 2]);
  put(" max ");
  put_u(full[RUNS - 1] - empty[RUNS / 2]);
  put("\n");
  return 0;
}
