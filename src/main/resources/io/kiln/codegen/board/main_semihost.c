/* Bare-metal driver for a Kiln-generated model on the @TITLE@: the same command
 * line and file conventions as kiln_host, with files on the host reached through semihosting.
 *
 *   qemu-system-arm -M @BOARD@ -nographic -semihosting-config enable=on,target=native \
 *       -kernel @FIRMWARE@ -append "[--batch N] --output-dir DIR IN0.bin [IN1.bin ...]"
 *
 * Each INk.bin holds N samples of input k back to back (raw little-endian, the model's dtype).
 * Without --batch, N is the size of IN0.bin divided by one sample. The samples run in order
 * and DIR/output<j>.bin receives output j of every sample, back to back. QEMU's exit status is
 * the driver's: 0 on success, 2 for bad arguments or files, 3 for a CPU fault. Paths cannot
 * contain spaces, since semihosting hands over the command line as one string. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kiln_model.h"
#include "kiln_semihost.h"

static const uint32_t kInputBytes[KILN_NUM_INPUTS] = KILN_INPUT_BYTES_LIST;
static const uint32_t kOutputBytes[KILN_NUM_OUTPUTS] = KILN_OUTPUT_BYTES_LIST;

/* Free RAM between .bss and the stack (@LDSCRIPT@); one sample of each input and output
 * lives there, so the batch size is bounded only by the host's files. */
extern uint8_t __free_start[];
extern uint8_t __free_end[];

#define KILN_MAX_ARGS 64
static char cmdline[4096];

static uint32_t length(const char *s) {
  uint32_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
}

/* Writes to the host's stderr. */
static void say(const char *a, const char *b, const char *c) {
  static const char tt[] = ":tt";
  const uint32_t open_args[3] = {(uint32_t)(uintptr_t)tt, KILN_OPEN_APPEND, sizeof tt - 1};
  const int32_t fd = kiln_semihost(KILN_SYS_OPEN, open_args);
  if (fd < 0) {
    return;
  }
  const char *parts[4] = {a, b, c, "\n"};
  for (int i = 0; i < 4; ++i) {
    const uint32_t write_args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)parts[i],
                                    length(parts[i])};
    (void)kiln_semihost(KILN_SYS_WRITE, write_args);
  }
  const uint32_t close_args[1] = {(uint32_t)fd};
  (void)kiln_semihost(KILN_SYS_CLOSE, close_args);
}

static int usage(void) {
  say("usage: @DRIVER@ [--batch N] --output-dir DIR IN0.bin",
      KILN_NUM_INPUTS > 1 ? " [IN1.bin ...]" : "", "");
  return 2;
}

static int32_t open_file(const char *path, uint32_t mode) {
  const uint32_t args[3] = {(uint32_t)(uintptr_t)path, mode, length(path)};
  return kiln_semihost(KILN_SYS_OPEN, args);
}

static void close_file(int32_t fd) {
  const uint32_t args[1] = {(uint32_t)fd};
  (void)kiln_semihost(KILN_SYS_CLOSE, args);
}

/* SYS_READ and SYS_WRITE return how many bytes were NOT transferred. */
static int read_exact(int32_t fd, uint8_t *buf, uint32_t n) {
  const uint32_t args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, n};
  return kiln_semihost(KILN_SYS_READ, args) == 0;
}

static int write_all(int32_t fd, const uint8_t *buf, uint32_t n) {
  const uint32_t args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, n};
  return kiln_semihost(KILN_SYS_WRITE, args) == 0;
}

/* A positive decimal number below 2^31, or -1. */
static int32_t parse_count(const char *s) {
  int32_t v = 0;
  if (*s == '\0') {
    return -1;
  }
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9' || v > (INT32_MAX - 9) / 10) {
      return -1;
    }
    v = v * 10 + (*s - '0');
  }
  return v > 0 ? v : -1;
}

/* Splits the semihosting command line at spaces; argv[0] is the program (QEMU passes the
 * -kernel file name first, then the words of -append). Returns -1 for too many words. */
static int split(char *line, char *argv[]) {
  int argc = 0;
  char *p = line;
  while (*p != '\0') {
    while (*p == ' ') {
      *p++ = '\0';
    }
    if (*p == '\0') {
      break;
    }
    if (argc == KILN_MAX_ARGS) {
      return -1;
    }
    argv[argc++] = p;
    while (*p != '\0' && *p != ' ') {
      ++p;
    }
  }
  return argc;
}

/* Takes `bytes` from free RAM, 8-byte aligned for every element type; NULL when it is full. */
static uint8_t *take(uint8_t **next, uint32_t bytes) {
  uint8_t *p = *next;
  const uint32_t rounded = (bytes + 7u) & ~7u;
  if ((uint32_t)(__free_end - p) < rounded) {
    return NULL;
  }
  *next = p + rounded;
  return p;
}

int main(void) {
  uint32_t cmd_args[2] = {(uint32_t)(uintptr_t)cmdline, sizeof cmdline - 1};
  if (kiln_semihost(KILN_SYS_GET_CMDLINE, cmd_args) != 0) {
    say("@DRIVER@: semihosting gave no command line (or one longer than 4095 bytes)", "",
        "");
    return 2;
  }
  cmdline[cmd_args[1] < sizeof cmdline ? cmd_args[1] : sizeof cmdline - 1] = '\0';
  char *argv[KILN_MAX_ARGS];
  const int argc = split(cmdline, argv);
  if (argc < 0) {
    say("@DRIVER@: too many arguments", "", "");
    return 2;
  }

  int32_t batch = -1;
  const char *dir = NULL;
  const char *paths[KILN_NUM_INPUTS] = {0};
  int npaths = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
      batch = parse_count(argv[++i]);
      if (batch < 0) {
        say("@DRIVER@: --batch needs a positive integer, got '", argv[i], "'");
        return 2;
      }
    } else if (strcmp(argv[i], "--output-dir") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      return usage();
    } else if (npaths < KILN_NUM_INPUTS) {
      paths[npaths++] = argv[i];
    } else {
      say("@DRIVER@: the model has fewer inputs than the files given", "", "");
      return 2;
    }
  }
  if (dir == NULL || npaths != KILN_NUM_INPUTS) {
    return usage();
  }

  uint8_t *next = __free_start;
  int32_t in_fd[KILN_NUM_INPUTS];
  uint8_t *in_buf[KILN_NUM_INPUTS];
  for (int k = 0; k < KILN_NUM_INPUTS; ++k) {
    in_fd[k] = open_file(paths[k], KILN_OPEN_READ_BINARY);
    if (in_fd[k] < 0) {
      say("@DRIVER@: cannot open ", paths[k], "");
      return 2;
    }
    const uint32_t flen_args[1] = {(uint32_t)in_fd[k]};
    const int32_t len = kiln_semihost(KILN_SYS_FLEN, flen_args);
    if (batch < 0) {
      if (len <= 0 || (uint32_t)len % kInputBytes[k] != 0) {
        say("@DRIVER@: ", paths[k], " is not a positive multiple of one sample");
        return 2;
      }
      batch = (int32_t)((uint32_t)len / kInputBytes[k]);
    }
    if (len < 0 || (uint64_t)(uint32_t)len != (uint64_t)(uint32_t)batch * kInputBytes[k]) {
      say("@DRIVER@: ", paths[k], " does not hold --batch samples");
      return 2;
    }
    in_buf[k] = take(&next, kInputBytes[k]);
    if (in_buf[k] == NULL) {
      say("@DRIVER@: out of RAM for an input sample", "", "");
      return 2;
    }
  }

  int32_t out_fd[KILN_NUM_OUTPUTS];
  uint8_t *out_buf[KILN_NUM_OUTPUTS];
  static char path[4096];
  const uint32_t dir_len = length(dir);
  for (int j = 0; j < KILN_NUM_OUTPUTS; ++j) {
    /* "output<j>.bin" with j < 10^4 takes at most 15 bytes and the terminator. */
    if (dir_len + 1 + 16 > sizeof path || j > 9999) {
      say("@DRIVER@: output directory name too long", "", "");
      return 2;
    }
    memcpy(path, dir, dir_len);
    char *p = path + dir_len;
    memcpy(p, "/output", 7);
    p += 7;
    char digits[5];
    int nd = 0;
    int v = j;
    do {
      digits[nd++] = (char)('0' + v % 10);
      v /= 10;
    } while (v > 0);
    while (nd > 0) {
      *p++ = digits[--nd];
    }
    memcpy(p, ".bin", 5);
    out_fd[j] = open_file(path, KILN_OPEN_WRITE_BINARY);
    out_buf[j] = take(&next, kOutputBytes[j]);
    if (out_fd[j] < 0 || out_buf[j] == NULL) {
      say("@DRIVER@: cannot write ", path, "");
      return 2;
    }
  }

  /* One sample at a time: read it, run it, append its outputs. */
  for (int32_t s = 0; s < batch; ++s) {
    const void *in[KILN_NUM_INPUTS];
    void *out[KILN_NUM_OUTPUTS];
    for (int k = 0; k < KILN_NUM_INPUTS; ++k) {
      if (!read_exact(in_fd[k], in_buf[k], kInputBytes[k])) {
        say("@DRIVER@: cannot read ", paths[k], "");
        return 2;
      }
      in[k] = in_buf[k];
    }
    for (int j = 0; j < KILN_NUM_OUTPUTS; ++j) {
      out[j] = out_buf[j];
    }
    if (kiln_run(in, out) != 0) {
      say("@DRIVER@: inference failed", "", "");
      return 1;
    }
    for (int j = 0; j < KILN_NUM_OUTPUTS; ++j) {
      if (!write_all(out_fd[j], out_buf[j], kOutputBytes[j])) {
        say("@DRIVER@: cannot write an output of directory ", dir, "");
        return 2;
      }
    }
  }
  for (int k = 0; k < KILN_NUM_INPUTS; ++k) {
    close_file(in_fd[k]);
  }
  for (int j = 0; j < KILN_NUM_OUTPUTS; ++j) {
    close_file(out_fd[j]);
  }
  return 0;
}
