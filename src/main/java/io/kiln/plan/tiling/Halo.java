package io.kiln.plan.tiling;

/**
 * The input window an output tile reads: from the first to the last input row (column) any of its
 * outputs' kernel taps lands on. Away from the borders this is the halo formula
 * {@code (n - 1) * stride + (f - 1) * dilation + 1}; at the borders padded positions are never
 * loaded, and with dilation the first tap inside the input may lie past the border. The schedule
 * moves exactly this window; buffers are sized by the unclipped formula, which is never smaller.
 */
public final class Halo {
  private Halo() {}

  /** Input rows read by output rows {@code out}. */
  public static Span rows(LayerShape l, Span out) {
    return window(out, l.strideY(), l.dilationY(), l.fy(), l.padTop(), l.iy());
  }

  /** Input columns read by output columns {@code out}. */
  public static Span cols(LayerShape l, Span out) {
    return window(out, l.strideX(), l.dilationX(), l.fx(), l.padLeft(), l.ix());
  }

  /** The output spans of the tiles along {@code d}: starts at multiples of the tile, last one partial. */
  public static Span[] tiles(int full, int tile) {
    int n = (full + tile - 1) / tile;
    Span[] spans = new Span[n];
    for (int i = 0; i < n; i++) {
      spans[i] = new Span(i * tile, Math.min(tile, full - i * tile));
    }
    return spans;
  }

  private static Span window(Span out, int stride, int dilation, int taps, int padBefore, int size) {
    int first = Integer.MAX_VALUE;
    int last = Integer.MIN_VALUE;
    for (int o = out.start(); o < out.end(); o++) {
      int lowTap = o * stride - padBefore;
      int low = lowTap >= 0 ? lowTap : lowTap + ceilDiv(-lowTap, dilation) * dilation;
      int highTap = lowTap + (taps - 1) * dilation;
      int high = highTap < size ? highTap : highTap - ceilDiv(highTap - (size - 1), dilation) * dilation;
      if (low <= highTap && low < size && high >= lowTap && high >= 0) {
        first = Math.min(first, low);
        last = Math.max(last, high);
      }
    }
    return first > last ? new Span(0, 0) : new Span(first, last - first + 1);
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
