/* Streaming keyword spotting over a Kiln-generated front-end and network.
 *
 * Push audio as it arrives, in chunks of any size. Every KWS_STRIDE_SAMPLES the front-end turns
 * the latest KWS_WINDOW_SAMPLES into one feature frame (its noise estimate carried along); once
 * KWS_WINDOW_FRAMES frames are there, the network runs after every new frame and its scores are
 * averaged over the last KWS_AVERAGE_MS, as TFLM's micro_speech recognizer does. Not reentrant:
 * all state is static. */
#ifndef KILN_KWS_H
#define KILN_KWS_H

#include <stddef.h>
#include <stdint.h>

#include "kiln_kws_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The latest inference. */
typedef struct {
  uint32_t time_ms;            /* end of its newest audio frame, from the first sample */
  int8_t scores[KWS_CLASSES];  /* the network's output */
  int top;                     /* argmax of scores */
  int smoothed_top;            /* argmax of the averaged scores */
  int32_t smoothed_score;      /* that average on the 0..255 scale, rounded */
  int new_command;             /* 1 when the recognizer reports smoothed_top as a command */
} kiln_kws_result;

/* Feeds n samples. Returns the smoothed label index of the last inference this call ran, or -1
   when none ran; kiln_kws_latest() has the details. */
int kiln_push_audio(const int16_t *samples, size_t n);

const kiln_kws_result *kiln_kws_latest(void);

/* The current feature window: KWS_WINDOW_FRAMES x KWS_FRAME_FEATURES, oldest frame first. */
const int8_t *kiln_kws_features(void);

/* Forgets all audio, features, scores and the front-end's state. */
void kiln_kws_reset(void);

extern const char *const kiln_kws_labels[KWS_CLASSES];

#ifdef __cplusplus
}
#endif

#endif /* KILN_KWS_H */
