/* Host driver for a Kiln keyword-spotting library: kiln_kws FILE.wav
 *
 * Reads a 16-bit PCM mono WAV at KWS_SAMPLE_RATE, pushes it through kiln_push_audio() one
 * stride at a time and prints each inference as `kiln kws` does, then the final label. A file
 * it cannot use gets one line on stderr and exit code 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_kws.h"

static unsigned le16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }

static unsigned long le32(const unsigned char *p) {
  return p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

static int fail(const char *path, const char *what) {
  fprintf(stderr, "kiln_kws: %s: %s\n", path, what);
  return 2;
}

int main(int argc, char **argv) {
  FILE *f;
  unsigned char *buf;
  long len;
  size_t at = 12, n = 0, i;
  int16_t *samples = NULL;
  int have_fmt = 0;
  if (argc != 2) {
    fprintf(stderr, "usage: kiln_kws FILE.wav\n");
    return 2;
  }
  f = fopen(argv[1], "rb");
  if (f == NULL) {
    return fail(argv[1], "cannot open");
  }
  if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return fail(argv[1], "cannot read");
  }
  buf = malloc(len > 0 ? (size_t)len : 1);
  if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
    fclose(f);
    free(buf);
    return fail(argv[1], "cannot read");
  }
  fclose(f);
  if (len == 0) {
    free(buf);
    return fail(argv[1], "empty, not a WAV file");
  }
  if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0) {
    free(buf);
    return fail(argv[1], len < 12 ? "truncated WAV header" : "not a WAV file");
  }
  while (at + 8 <= (size_t)len) {
    unsigned long size = le32(buf + at + 4);
    const unsigned char *body = buf + at + 8;
    if (memcmp(buf + at, "fmt ", 4) == 0) {
      if (size < 16 || at + 8 + 16 > (size_t)len) {
        free(buf);
        return fail(argv[1], "truncated WAV header");
      }
      if (le16(body) != 1 || le16(body + 14) != 16 || le16(body + 2) != 1) {
        free(buf);
        return fail(argv[1], "not 16-bit PCM mono");
      }
      if (le32(body + 4) != KWS_SAMPLE_RATE) {
        free(buf);
        return fail(argv[1], "wrong sample rate for this front-end");
      }
      have_fmt = 1;
    } else if (memcmp(buf + at, "data", 4) == 0 && have_fmt) {
      size_t avail = (size_t)len - at - 8;
      n = (size > avail ? avail : size) / 2;
      samples = malloc(n > 0 ? n * sizeof(int16_t) : 1);
      if (samples == NULL) {
        free(buf);
        return fail(argv[1], "out of memory");
      }
      for (i = 0; i < n; ++i) {
        samples[i] = (int16_t)le16(body + 2 * i);
      }
      break;
    }
    at += 8 + size + (size & 1);
  }
  free(buf);
  if (samples == NULL) {
    return fail(argv[1], "truncated WAV header");
  }
  {
    const size_t frames = n < KWS_WINDOW_SAMPLES ? 0
        : (n - KWS_WINDOW_SAMPLES) / KWS_STRIDE_SAMPLES + 1;
    int last = -1;
    if (frames < KWS_WINDOW_FRAMES) {
      free(samples);
      return fail(argv[1], "too short for one inference");
    }
    printf("%s: %lu ms at %d Hz; %d-sample windows every %d samples; %d frames of features per"
           " inference\n", argv[1], (unsigned long)((n * 1000 + KWS_SAMPLE_RATE / 2)
           / KWS_SAMPLE_RATE), KWS_SAMPLE_RATE, KWS_WINDOW_SAMPLES, KWS_STRIDE_SAMPLES,
           KWS_WINDOW_FRAMES);
    for (i = 0; i < n; i += KWS_STRIDE_SAMPLES) {
      const size_t chunk = n - i < KWS_STRIDE_SAMPLES ? n - i : KWS_STRIDE_SAMPLES;
      if (kiln_push_audio(samples + i, chunk) >= 0) {
        const kiln_kws_result *r = kiln_kws_latest();
        int c;
        printf("%6lu ms  ", (unsigned long)r->time_ms);
        for (c = 0; c < KWS_CLASSES; ++c) {
          printf("%s%s=%d", c > 0 ? " " : "", kiln_kws_labels[c], r->scores[c]);
        }
        printf("  top %s  smoothed %s (%ld)", kiln_kws_labels[r->top],
               kiln_kws_labels[r->smoothed_top], (long)r->smoothed_score);
        if (r->new_command) {
          printf("  COMMAND %s", kiln_kws_labels[r->smoothed_top]);
        }
        printf("\n");
        last = r->smoothed_top;
      }
    }
    printf("label: %s\n", kiln_kws_labels[last]);
  }
  free(samples);
  return 0;
}
