/* Start-up code for the @TITLE@: the vector table, and a reset handler that lays out
 * RAM the way C expects (and turns on the FPU where the build uses it) before calling main.
 *
 * On an Armv7-M or Armv8-M reset the core loads the main stack pointer from word 0 of the vector table
 * and starts at the reset handler named in word 1. The handler sets the stack pointer once
 * more, so that a debugger's "jump to the entry point" behaves the same, before any C code
 * has put something on the stack. The symbols come from @LDSCRIPT@. */
#include <stdint.h>

#include "kiln_semihost.h"

extern uint32_t __data_load[];
extern uint32_t __data_start[];
extern uint32_t __data_end[];
extern uint32_t __bss_start[];
extern uint32_t __bss_end[];
extern uint32_t __stack_top[];

int main(void);

void kiln_reset_handler(void);
void kiln_start(void);
static void kiln_fault(void);
static void kiln_unexpected(void);

/* A vector table entry: the initial stack pointer, or a handler. */
typedef union {
  void *stack;
  void (*handler)(void);
} kiln_vector;

/* 16 system exceptions, then 32 external interrupts (the boards have more, but nothing enables
 * an interrupt, so those only ever run if something is badly wrong). */
#define KILN_VECTORS (16 + 32)

__attribute__((section(".kiln_vectors"), used))
static const kiln_vector kiln_vector_table[KILN_VECTORS] = {
    [0] = {.stack = __stack_top},
    [1] = {.handler = kiln_reset_handler},
    [2] = {.handler = kiln_unexpected},  /* NMI */
    [3] = {.handler = kiln_fault},       /* HardFault */
    [4] = {.handler = kiln_fault},       /* MemManage */
    [5] = {.handler = kiln_fault},       /* BusFault */
    [6] = {.handler = kiln_fault},       /* UsageFault */
    [11] = {.handler = kiln_unexpected}, /* SVCall */
    [12] = {.handler = kiln_unexpected}, /* DebugMonitor */
    [14] = {.handler = kiln_unexpected}, /* PendSV */
    [15] = {.handler = kiln_unexpected}, /* SysTick */
    [16 ... KILN_VECTORS - 1] = {.handler = kiln_unexpected},
};

/* Configuration and Control Register; DIV_0_TRP makes an integer division by zero fault
 * instead of quietly giving 0, so such a bug in generated code cannot pass a test. */
#define KILN_SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define KILN_CCR_DIV_0_TRP (1u << 4)

/* Coprocessor Access Control Register: full access to CP10 and CP11, the FPU (and on
 * Armv8.1-M the Helium vector unit), which must be on before the first floating-point or vector
 * instruction; with -mfloat-abi=hard gcc may use FPU registers anywhere, even in main. */
#define KILN_SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define KILN_CPACR_CP10_CP11 (0xFu << 20)

/* Writes a message to the host's stderr through semihosting. */
static void kiln_report(const char *msg, uint32_t len) {
  static const char tt[] = ":tt";
  const uint32_t open_args[3] = {(uint32_t)(uintptr_t)tt, KILN_OPEN_APPEND, sizeof tt - 1};
  const int32_t fd = kiln_semihost(KILN_SYS_OPEN, open_args);
  if (fd >= 0) {
    const uint32_t write_args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)msg, len};
    (void)kiln_semihost(KILN_SYS_WRITE, write_args);
  }
}

static void kiln_fault(void) {
  static const char msg[] = "@DRIVER@: fault (bad memory access, division by zero or "
                            "undefined instruction)\n";
  kiln_report(msg, sizeof msg - 1);
  kiln_semihost_exit(3);
}

static void kiln_unexpected(void) {
  static const char msg[] = "@DRIVER@: unexpected exception\n";
  kiln_report(msg, sizeof msg - 1);
  kiln_semihost_exit(3);
}

/* No C here: a naked function has no prologue, so nothing is on the stack when it moves. */
__attribute__((naked, noreturn))
void kiln_reset_handler(void) {
  __asm__ volatile(
      "ldr r0, =__stack_top\n\t"
      "msr msp, r0\n\t"
      "b kiln_start\n\t"
      ".ltorg");
}

/* Plain word loops on purpose: .data and .bss are not ready yet, so this must not call into
 * a C library that might rely on them. The linker script aligns all four bounds to 4. */
__attribute__((used, noreturn, optimize("no-tree-loop-distribute-patterns")))
void kiln_start(void) {
  const uint32_t *src = __data_load;
  for (uint32_t *dst = __data_start; dst < __data_end; ++dst) {
    *dst = *src++;
  }
  for (uint32_t *dst = __bss_start; dst < __bss_end; ++dst) {
    *dst = 0;
  }
  KILN_SCB_CCR |= KILN_CCR_DIV_0_TRP;
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
  KILN_SCB_CPACR |= KILN_CPACR_CP10_CP11;
#endif
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  kiln_semihost_exit(main());
}
