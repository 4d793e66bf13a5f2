package io.kiln.plan.deploy;

import io.kiln.plan.tiling.Span;
import java.util.Optional;

/**
 * One job of an accelerator call: the unit computes one tile from its L1 buffers. Spans are in
 * the layer's coordinates (output channels, input channels, output rows and columns; the input
 * window is the clipped halo the tile reads). Activation tiles in L1 are HWC of the tile's own
 * extent; partial sums, when the reduction over C is split, are int32 in the output buffer, and
 * the last C tile writes the requantized outputs at its start.
 *
 * @param firstC the first tile of its outputs' reduction (it starts the sums from the bias)
 * @param lastC the last one (it requantizes and runs the output stage)
 */
public record TileJob(int tile, Span k, Span c, Span y, Span x, Span inRows, Span inCols, Region input,
    Optional<Region> weights, Optional<Region> params, Region output, Optional<Region> operand, boolean firstC,
    boolean lastC) {}
