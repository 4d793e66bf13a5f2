/* RISC-V semihosting calls (the Arm semihosting operations, trapped by the three-instruction
 * "slli x0, x0, 0x1f; ebreak; srai x0, x0, 7" sequence of the RISC-V semihosting specification),
 * which the Kiln bare-metal driver uses for its files and its exit status. Under
 * qemu-system-riscv32 -semihosting-config enable=on,target=native they act on the host's files. */
#ifndef KILN_SEMIHOST_H
#define KILN_SEMIHOST_H

#include <stdint.h>

#define KILN_SYS_OPEN 0x01
#define KILN_SYS_CLOSE 0x02
#define KILN_SYS_WRITE 0x05
#define KILN_SYS_READ 0x06
#define KILN_SYS_FLEN 0x0C
#define KILN_SYS_GET_CMDLINE 0x15
#define KILN_SYS_EXIT_EXTENDED 0x20

/* SYS_OPEN modes: the index of the fopen() mode string in the semihosting specification. */
#define KILN_OPEN_READ_BINARY 1   /* "rb" */
#define KILN_OPEN_WRITE_BINARY 5  /* "wb" */
#define KILN_OPEN_APPEND 8        /* "a"; ":tt" opened so is the host's stderr */

/* The reason SYS_EXIT_EXTENDED reports for a program that ended by itself; its subcode is the
 * exit status. */
#define KILN_ADP_STOPPED_APPLICATION_EXIT 0x20026

/* One semihosting call: the operation in a0, its argument block in a1, the result in a0.
 * "memory" because the host reads and writes the block and the buffers it points to. The
 * specification wants the three instructions uncompressed and on one page (the trap handler
 * reads the neighbours of the ebreak), hence norvc and the 16-byte alignment. */
static inline int32_t kiln_semihost(int32_t op, const void *args) {
  register int32_t a0 __asm__("a0") = op;
  register const void *a1 __asm__("a1") = args;
  __asm__ volatile(".option push\n\t.option norvc\n\t.balign 16\n\t"
                   "slli x0, x0, 0x1f\n\tebreak\n\tsrai x0, x0, 7\n\t.option pop"
                   : "+r"(a0) : "r"(a1) : "memory");
  return a0;
}

/* Ends the program with `status` as qemu-system-riscv32's exit status. */
__attribute__((noreturn)) static inline void kiln_semihost_exit(int status) {
  const uint32_t block[2] = {KILN_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
  (void)kiln_semihost(KILN_SYS_EXIT_EXTENDED, block);
  for (;;) {
    /* Without a debugger attached there is nothing to return to. */
  }
}

#endif /* KILN_SEMIHOST_H */
