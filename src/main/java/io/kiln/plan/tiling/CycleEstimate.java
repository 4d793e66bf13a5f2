package io.kiln.plan.tiling;

/**
 * Estimated cycles of one tiled layer: array passes (ceiling divisions by the unrolling expose idle
 * lanes), DMA cycles from bytes, bandwidth and per-transfer latency, overlapped tile by tile under
 * double buffering, plus fixed overheads.
 */
public record CycleEstimate(long computeCycles, long dmaCycles, long dmaBytes, long totalCycles, double utilization) {

  /** Estimates {@code t} for problem {@code p} on a unit described by {@code c}. */
  public static CycleEstimate of(TileProblem p, Tiling t, CostParams c) {
    LayerShape l = p.layer();
    ElementSizes s = p.sizes();
    Span[][] spans = new Span[4][];
    for (Dim d : Dim.values()) {
      spans[d.ordinal()] = Halo.tiles(l.size(d), t.tile(d));
    }
    int nK = spans[0].length;
    int nC = l.depthwise() ? 1 : spans[1].length;
    boolean weightsStream = nK * nC > 1;
    boolean db = p.memories().doubleBuffered();
    long compute = 0;
    long dma = 0;
    long bytesMoved = 0;
    long tiles = 0;
    long timeline = 0;
    // Weights that never change are loaded once, before the first tile; so is the first tile's
    // input, which nothing can hide.
    long prologue = 0;
    for (Span k : spans[0]) {
      for (Span cs : l.depthwise() ? new Span[] {new Span(0, 1)} : spans[1]) {
        long channels = l.depthwise() ? k.length() : cs.length();
        long weightBytes = s.weightBytes(k.length(), l.depthwise() ? 1 : channels, (long) l.fy() * l.fx())
            + (long) k.length() * s.paramBytesPerChannel();
        if (!weightsStream && tiles == 0) {
          prologue += transfer(weightBytes, c);
          bytesMoved += weightBytes;
        }
        boolean lastC = l.depthwise() || cs.end() == l.c();
        for (Span y : spans[2]) {
          for (Span x : spans[3]) {
            long passes = ceilDiv(k.length(), c.unrollK()) * ceilDiv(l.depthwise() ? 1 : channels, c.unrollC())
                * ceilDiv(y.length(), c.unrollOY()) * ceilDiv(x.length(), c.unrollOX())
                * ceilDiv(l.fy(), c.unrollFY()) * ceilDiv(l.fx(), c.unrollFX());
            long in = ceilDiv(channels * Halo.rows(l, y).length() * Halo.cols(l, x).length() * s.inputBits(), 8);
            long w = weightsStream ? weightBytes : 0;
            long out = lastC ? ceilDiv(k.length() * y.length() * x.length() * s.outputBits(), 8) : 0;
            long operand = lastC ? ceilDiv(k.length() * y.length() * x.length() * s.operandBits(), 8) : 0;
            long move = transfer(in, c) + transfer(w, c) + transfer(out, c) + transfer(operand, c);
            bytesMoved += in + w + out + operand;
            compute += passes;
            dma += move;
            if (db && tiles == 0) {
              prologue += transfer(in, c);
            }
            tiles++;
            // Under double buffering a tile's transfers hide behind the neighbouring compute, so
            // the slower of the two sets the pace.
            timeline += db ? Math.max(passes, move) : passes + move;
          }
        }
      }
    }
    long total = timeline + prologue + tiles * c.perTileOverheadCycles() + c.perLayerOverheadCycles();
    double util = (double) l.macs() / ((double) total * c.peakMacsPerCycle());
    return new CycleEstimate(compute, dma, bytesMoved, total, util);
  }

  private static long transfer(long bytes, CostParams c) {
    return bytes == 0 ? 0 : c.dmaLatencyCycles() + ceilDiv(bytes, c.dmaBytesPerCycle());
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
