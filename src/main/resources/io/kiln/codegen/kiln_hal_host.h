/* What the host HAL's two files share (kiln_hal_host.c: DMA and the units' functional models;
 * kiln_hal_host_dla.c: the DLA's command-stream interpreter). Not part of kiln_hal.h: a SoC's
 * HAL has no such function. */
#ifndef KILN_HAL_HOST_H
#define KILN_HAL_HOST_H

#include <stdint.h>

#include "kiln_hal.h"

/* The DLA's line buffers for a one-channel view of a tile (emulated depthwise): memories
 * kiln_memory_count + 0..2 (input, operand, output), which only the DLA interpreter names. */
#define KILN_DLA_LINE_BYTES (1u << 20)
extern uint8_t kiln_dla_line[3][KILN_DLA_LINE_BYTES];

/* The memory `mem` from `addr` for `bytes` bytes (the DLA's line buffers are memories
 * kiln_memory_count + 0..2), or the program stops with one line naming the layer, the tile, what
 * reached outside and the memory (exit status 3). */
uint8_t *kiln_hal_at(int mem, uint64_t addr, uint64_t bytes, kiln_where at, const char *what);

#endif /* KILN_HAL_HOST_H */
