/* Start-up code for the @TITLE@: the entry point the reset ROM jumps to, which sets up the
 * stack and a trap handler and lays out RAM the way C expects before calling main, and the
 * trap handler that ends the run when something goes wrong.
 *
 * With -bios none QEMU's virt machine starts the hart in machine mode at its reset ROM, which
 * jumps to the start of DRAM (@CODE_ORIGIN@), where @LDSCRIPT@ puts kiln_reset_handler. The
 * symbols come from @LDSCRIPT@. */
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
void kiln_trap(void);

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

/* Every trap: nothing enables an interrupt, so it is an exception (a bad memory access, an
 * illegal instruction, a misaligned access). RISC-V has no trap for an integer division by zero:
 * it gives all ones, as the ISA defines. mtvec's direct mode needs a 4-byte-aligned handler. */
__attribute__((used, noreturn, aligned(4)))
void kiln_trap(void) {
  static const char msg[] = "@DRIVER@: fault (bad memory access, misaligned access or "
                            "illegal instruction)\n";
  kiln_report(msg, sizeof msg - 1);
  kiln_semihost_exit(3);
}

/* The entry point; no C here: a naked function has no prologue, so nothing is on the stack
 * before the stack pointer is set. The linker script puts .kiln_vectors first in DRAM. The
 * mtvec write is spelled as its encoding (csrrw x0, mtvec, t0) because gcc 12 wants the Zicsr
 * extension named in -march for "csrw", and Debian's picolibc has no multilib for that name. */
__attribute__((naked, noreturn, section(".kiln_vectors")))
void kiln_reset_handler(void) {
  __asm__ volatile(
      "la sp, __stack_top\n\t"
      "la t0, kiln_trap\n\t"
      ".insn i 0x73, 1, x0, t0, 0x305\n\t"
      "j kiln_start");
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
  kiln_semihost_exit(main());
}
