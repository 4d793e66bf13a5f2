/* Streaming keyword spotting: framing, the feature window, the network and score smoothing
   (see kiln_kws.h). Integer only. */
#include "kiln_kws.h"

#include <string.h>

#include "kiln_fe_model.h"
#include "kiln_nn_model.h"

const char *const kiln_kws_labels[KWS_CLASSES] = KWS_LABELS;

static int16_t audio[KWS_WINDOW_SAMPLES];
static size_t audio_fill;
static uint64_t frames_done;
static int8_t features[KWS_WINDOW_FRAMES * KWS_FRAME_FEATURES];
static kiln_kws_result latest;

/* The recognizer's history: time and scores of the inferences in the averaging window. */
static uint32_t history_time[KWS_HISTORY];
static int8_t history_scores[KWS_HISTORY][KWS_CLASSES];
static int history_start;
static int history_count;
static int previous_top = -1;
static int64_t previous_top_time = -((int64_t)1 << 40);

void kiln_kws_reset(void) {
  audio_fill = 0;
  frames_done = 0;
  memset(features, 0, sizeof features);
  memset(&latest, 0, sizeof latest);
  history_start = 0;
  history_count = 0;
  previous_top = -1;
  previous_top_time = -((int64_t)1 << 40);
  kiln_fe_reset();
  kiln_nn_reset();
}

const kiln_kws_result *kiln_kws_latest(void) { return &latest; }

const int8_t *kiln_kws_features(void) { return features; }

/* Adds the latest scores to the history and updates the smoothed view. */
static void recognize(void) {
  int32_t sum[KWS_CLASSES];
  int i, k, top = 0;
  if (history_count == KWS_HISTORY) {
    history_start = (history_start + 1) % KWS_HISTORY;
    --history_count;
  }
  k = (history_start + history_count) % KWS_HISTORY;
  history_time[k] = latest.time_ms;
  memcpy(history_scores[k], latest.scores, KWS_CLASSES);
  ++history_count;
  while ((int64_t)history_time[history_start] < (int64_t)latest.time_ms - KWS_AVERAGE_MS) {
    history_start = (history_start + 1) % KWS_HISTORY;
    --history_count;
  }
  memset(sum, 0, sizeof sum);
  for (k = 0; k < history_count; ++k) {
    const int8_t *s = history_scores[(history_start + k) % KWS_HISTORY];
    for (i = 0; i < KWS_CLASSES; ++i) {
      sum[i] += s[i] + 128;
    }
  }
  /* Every class is averaged over the same count, so comparing sums compares averages. */
  for (i = 1; i < KWS_CLASSES; ++i) {
    if (sum[i] > sum[top]) {
      top = i;
    }
  }
  latest.smoothed_top = top;
  latest.smoothed_score = (2 * sum[top] + history_count) / (2 * history_count);
  {
    const uint32_t covered = latest.time_ms - history_time[history_start];
    const int enough = history_count >= KWS_MINIMUM_COUNT && covered >= KWS_AVERAGE_MS / 4;
    const int fresh = top != previous_top
        || (int64_t)latest.time_ms - previous_top_time > KWS_SUPPRESSION_MS;
    latest.new_command = enough && sum[top] > KWS_THRESHOLD * history_count && fresh;
  }
  if (latest.new_command) {
    previous_top = top;
    previous_top_time = latest.time_ms;
  }
}

/* One frame: features of the buffered window, then the network once the window is full. */
static int frame(void) {
  int i;
  memmove(features, features + KWS_FRAME_FEATURES,
          (KWS_WINDOW_FRAMES - 1) * KWS_FRAME_FEATURES);
  kiln_fe_run_single(audio, features + (KWS_WINDOW_FRAMES - 1) * KWS_FRAME_FEATURES);
  ++frames_done;
  if (frames_done < KWS_WINDOW_FRAMES) {
    return 0;
  }
  kiln_nn_run_single(features, latest.scores);
  latest.top = 0;
  for (i = 1; i < KWS_CLASSES; ++i) {
    if (latest.scores[i] > latest.scores[latest.top]) {
      latest.top = i;
    }
  }
  latest.time_ms = (uint32_t)((((frames_done - 1) * KWS_STRIDE_SAMPLES + KWS_WINDOW_SAMPLES)
                               * 1000u) / KWS_SAMPLE_RATE);
  recognize();
  return 1;
}

int kiln_push_audio(const int16_t *samples, size_t n) {
  int label = -1;
  while (n > 0) {
    size_t take = KWS_WINDOW_SAMPLES - audio_fill;
    if (take > n) {
      take = n;
    }
    memcpy(audio + audio_fill, samples, take * sizeof(int16_t));
    audio_fill += take;
    samples += take;
    n -= take;
    if (audio_fill == KWS_WINDOW_SAMPLES) {
      if (frame()) {
        label = latest.smoothed_top;
      }
      /* Keep the overlap for the next window. */
      memmove(audio, audio + KWS_STRIDE_SAMPLES,
              (KWS_WINDOW_SAMPLES - KWS_STRIDE_SAMPLES) * sizeof(int16_t));
      audio_fill = KWS_WINDOW_SAMPLES - KWS_STRIDE_SAMPLES;
    }
  }
  return label;
}
