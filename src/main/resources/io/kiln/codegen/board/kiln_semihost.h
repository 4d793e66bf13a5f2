/* Arm semihosting calls (the "bkpt 0xAB" interface of the Armv7-M debug architecture), which
 * the Kiln bare-metal driver uses for its files and its exit status. Under
 * qemu-system-arm -semihosting-config enable=on,target=native they act on the host's files. */
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

/* One semihosting call: the operation in r0, its argument block in r1, the result in r0.
 * "memory" because the host reads and writes the block and the buffers it points to. */
static inline int32_t kiln_semihost(int32_t op, const void *args) {
  register int32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = args;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* Ends the program with `status` as qemu-system-arm's exit status. */
__attribute__((noreturn)) static inline void kiln_semihost_exit(int status) {
  const uint32_t block[2] = {KILN_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
  (void)kiln_semihost(KILN_SYS_EXIT_EXTENDED, block);
  for (;;) {
    /* Without a debugger attached there is nothing to return to. */
  }
}

#endif /* KILN_SEMIHOST_H */
