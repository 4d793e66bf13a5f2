package io.kiln.plan.tiling;

/**
 * The memory one tile size reserves: each buffer's bytes (already doubled when it streams under
 * double buffering) and the totals per memory.
 *
 * <p>Input buffers are sized for the worst tile: the halo formula, clipped to the input (a tile
 * never reads more rows than exist). Which buffers stream follows the loop nest: inputs change
 * with C, OY and OX tiles, weights with K and C tiles, outputs with K, OY and OX tiles, and
 * per-channel parameters with K tiles. A second operand ({@link ElementSizes#operandBits()}) is
 * one element per output element, so it is sized and streams like the output tile (at its own
 * width, never widened to partial sums); it is 0 bytes for layers without one.
 *
 * <p>{@code dataBytes} is the size of one tile's data in L1 (one copy of each buffer, outputs at
 * their final width): the objective's memory term. It grows with every tile size, and it does not
 * reward splitting a dimension just because split buffers are doubled or widened to partial sums.
 */
public record Footprint(
    int inputRows,
    int inputCols,
    long inputBytes,
    long weightBytes,
    long outputBytes,
    long paramBytes,
    long l1Bytes,
    long weightMemoryBytes,
    long dataBytes,
    long operandBytes) {

  /** The exact reservation of tile sizes {@code tile} (indexed by {@link Dim#ordinal()}). */
  public static Footprint of(TileProblem p, int[] tile) {
    return lowerBound(p, tile, tile);
  }

  /**
   * A lower bound of the reservation of every tile between {@code lo} and {@code hi}: sizes at
   * {@code lo}, and a buffer doubled (or outputs widened to partial sums) only where every tile of
   * the box is split along a dimension the buffer depends on, which {@code hi} decides. Bytes grow
   * with each size at a fixed multiplier, and splitting is monotone, so the bound is valid.
   */
  public static Footprint lowerBound(TileProblem p, int[] lo, int[] hi) {
    Copies k = Copies.of(p, hi);
    return build(p, lo, k.input(), k.weights(), k.output(), k.params(),
        k.partialSums() ? p.sizes().accumulatorBits() : p.sizes().outputBits());
  }

  /**
   * How many copies of each buffer tiles of sizes up to {@code tile} reserve: two where the buffer
   * streams under double buffering (one is filled while the other is used), else one; and whether
   * the output buffer holds partial sums (the reduction over C is split).
   */
  public record Copies(int input, int weights, int output, int params, boolean partialSums) {
    public static Copies of(TileProblem p, int[] tile) {
      LayerShape l = p.layer();
      boolean splitK = tile[Dim.K.ordinal()] < l.k();
      boolean splitC = !l.depthwise() && tile[Dim.C.ordinal()] < l.c();
      boolean splitYX = tile[Dim.OY.ordinal()] < l.oy() || tile[Dim.OX.ordinal()] < l.ox();
      boolean db = p.memories().doubleBuffered();
      boolean inputStreams = (l.depthwise() ? splitK : splitC) || splitYX;
      boolean weightsStream = splitK || splitC
          || (splitYX && p.constraints().stream().anyMatch(c -> c instanceof TileConstraint.WeightsPerRow));
      boolean outputsStream = splitK || splitYX;
      return new Copies(db && inputStreams ? 2 : 1, db && weightsStream ? 2 : 1, db && outputsStream ? 2 : 1,
          db && splitK ? 2 : 1, splitC);
    }
  }

  private static Footprint build(TileProblem p, int[] tile, int inMult, int wMult, int outMult, int parMult,
      int outBits) {
    LayerShape l = p.layer();
    ElementSizes s = p.sizes();
    long tk = tile[Dim.K.ordinal()];
    long tc = l.depthwise() ? tk : tile[Dim.C.ordinal()];
    int toy = tile[Dim.OY.ordinal()];
    int tox = tile[Dim.OX.ordinal()];
    int rows = inputRows(l, toy);
    int cols = inputCols(l, tox);
    long input = ElementSizes.ceilDiv(tc * rows * cols * s.inputBits(), 8);
    long weights = s.weightBytes(tk, l.depthwise() ? 1 : tc, (long) l.fy() * l.fx());
    long output = ElementSizes.ceilDiv((long) tk * toy * tox * s.outputBits(), 8);
    long reservedOutput = ElementSizes.ceilDiv((long) tk * toy * tox * outBits, 8);
    long params = tk * s.paramBytesPerChannel();
    long operand = ElementSizes.ceilDiv((long) tk * toy * tox * s.operandBits(), 8);
    boolean separate = p.memories().separateWeights();
    long data = input + output + operand + params + (separate ? 0 : weights);
    long l1 = inMult * input + outMult * (reservedOutput + operand) + parMult * params
        + (separate ? 0 : wMult * weights);
    return new Footprint(rows, cols, inMult * input, wMult * weights, outMult * reservedOutput, parMult * params, l1,
        separate ? wMult * weights : 0, data, outMult * operand);
  }

  /** Input rows buffered for {@code toy} output rows: the halo formula, clipped to the input. */
  static int inputRows(LayerShape l, int toy) {
    return Math.min(l.inputRowsFor(toy), l.iy());
  }

  /** Input columns buffered for {@code tox} output columns, likewise clipped. */
  static int inputCols(LayerShape l, int tox) {
    return Math.min(l.inputColsFor(tox), l.ix());
  }

  /** Whether this reservation fits the problem's memories. */
  public boolean fits(Memories m) {
    return l1Bytes <= m.l1Bytes() && (!m.separateWeights() || weightMemoryBytes <= m.weightMemoryBytes());
  }
}
