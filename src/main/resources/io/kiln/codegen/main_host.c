/* Host driver for a Kiln-generated model.
 *
 *   kiln_host [--batch N] --output-dir DIR IN0.bin [IN1.bin ...]
 *
 * Each INk.bin holds N samples of input k back to back (raw little-endian, the model's dtype).
 * Without --batch, N is the size of IN0.bin divided by one sample. The samples run in order
 * and DIR/output<j>.bin receives output j of every sample, back to back; DIR is created when
 * missing. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kiln_model.h"

static const size_t kInputBytes[KILN_NUM_INPUTS] = KILN_INPUT_BYTES_LIST;
static const size_t kOutputBytes[KILN_NUM_OUTPUTS] = KILN_OUTPUT_BYTES_LIST;

static void usage(void) {
  fprintf(stderr, "usage: kiln_host [--batch N] --output-dir DIR IN0.bin%s\n",
          KILN_NUM_INPUTS > 1 ? " [IN1.bin ...]" : "");
}

/* Reads a whole file; returns NULL (with a message) on failure. */
static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "kiln_host: cannot open %s\n", path);
    return NULL;
  }
  size_t cap = 1 << 16;
  size_t n = 0;
  unsigned char *buf = malloc(cap);
  while (buf != NULL) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) {
      break;
    }
    unsigned char *bigger = realloc(buf, cap * 2);
    if (bigger == NULL) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  int failed = buf == NULL || ferror(f);
  fclose(f);
  if (failed) {
    fprintf(stderr, "kiln_host: cannot read %s\n", path);
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  long batch = -1;
  const char *dir = NULL;
  const char *paths[KILN_NUM_INPUTS] = {0};
  int npaths = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
      char *end = NULL;
      batch = strtol(argv[++i], &end, 10);
      if (*end != '\0' || batch < 1) {
        fprintf(stderr, "kiln_host: --batch needs a positive integer, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--output-dir") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      usage();
      return 2;
    } else if (npaths < KILN_NUM_INPUTS) {
      paths[npaths++] = argv[i];
    } else {
      fprintf(stderr, "kiln_host: the model has %d input(s); too many files given\n",
              KILN_NUM_INPUTS);
      return 2;
    }
  }
  if (dir == NULL || npaths != KILN_NUM_INPUTS) {
    usage();
    return 2;
  }
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "kiln_host: cannot create %s\n", dir);
    return 2;
  }

  unsigned char *inputs[KILN_NUM_INPUTS];
  for (int k = 0; k < KILN_NUM_INPUTS; ++k) {
    size_t len = 0;
    inputs[k] = read_file(paths[k], &len);
    if (inputs[k] == NULL) {
      return 2;
    }
    if (batch < 0) {
      if (len == 0 || len % kInputBytes[k] != 0) {
        fprintf(stderr, "kiln_host: %s has %zu bytes, not a positive multiple of %zu\n",
                paths[k], len, kInputBytes[k]);
        return 2;
      }
      batch = (long)(len / kInputBytes[k]);
    }
    if (len != (size_t)batch * kInputBytes[k]) {
      fprintf(stderr, "kiln_host: %s has %zu bytes, expected %ld x %zu\n", paths[k], len, batch,
              kInputBytes[k]);
      return 2;
    }
  }

  unsigned char *outputs[KILN_NUM_OUTPUTS];
  for (int j = 0; j < KILN_NUM_OUTPUTS; ++j) {
    outputs[j] = malloc((size_t)batch * kOutputBytes[j] + 1);
    if (outputs[j] == NULL) {
      fprintf(stderr, "kiln_host: out of memory\n");
      return 1;
    }
  }

  for (long s = 0; s < batch; ++s) {
    const void *in[KILN_NUM_INPUTS];
    void *out[KILN_NUM_OUTPUTS];
    for (int k = 0; k < KILN_NUM_INPUTS; ++k) {
      in[k] = inputs[k] + (size_t)s * kInputBytes[k];
    }
    for (int j = 0; j < KILN_NUM_OUTPUTS; ++j) {
      out[j] = outputs[j] + (size_t)s * kOutputBytes[j];
    }
    if (kiln_run(in, out) != 0) {
      fprintf(stderr, "kiln_host: inference failed on sample %ld\n", s);
      return 1;
    }
  }

  for (int j = 0; j < KILN_NUM_OUTPUTS; ++j) {
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/output%d.bin", dir, j);
    if (n < 0 || (size_t)n >= sizeof path) {
      fprintf(stderr, "kiln_host: output directory name too long\n");
      return 2;
    }
    FILE *f = fopen(path, "wb");
    size_t want = (size_t)batch * kOutputBytes[j];
    if (f == NULL || fwrite(outputs[j], 1, want, f) != want || fclose(f) != 0) {
      fprintf(stderr, "kiln_host: cannot write %s\n", path);
      return 2;
    }
    free(outputs[j]);
  }
  for (int k = 0; k < KILN_NUM_INPUTS; ++k) {
    free(inputs[k]);
  }
  return 0;
}
