package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.Op.Activation;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.ConvRequant;

/**
 * The output stage of a DSP-extension kernel: {@code kiln_dsp_requant} (one 64-bit
 * multiply-accumulate, a one-add rounding shift, SSAT) where its preconditions hold for every
 * accumulator the layer can produce, else the portable {@link Requant}. The preconditions are
 * checked at compile time from the layer's own bound on its accumulators.
 */
final class DspRequant {
  private final Requant portable;
  private final String mult;
  private final String left;
  private final String right;
  private final boolean perChannel;
  private final int zeroPoint;
  private final ActivationRange range;
  private final String why;

  private DspRequant(Requant portable, String mult, String left, String right,
      boolean perChannel, int zeroPoint, ActivationRange range, String why) {
    this.portable = portable;
    this.mult = mult;
    this.left = left;
    this.right = right;
    this.perChannel = perChannel;
    this.zeroPoint = zeroPoint;
    this.range = range;
    this.why = why;
  }

  /**
   * Emits the layer's tables and returns the store expression maker. {@code accBound[c]} bounds
   * |accumulator| of channel {@code c} (one entry per channel of the requantization).
   */
  static DspRequant declare(LayerContext ctx, ConvRequant q, Activation act, long[] accBound) {
    int n = q.channels();
    int[] lefts = new int[n];
    int[] rights = new int[n];
    String problem = null;
    for (int c = 0; c < n && problem == null; c++) {
      int s = q.shift(c);
      lefts[c] = Math.max(s, 0);
      rights[c] = Math.max(-s, 0);
      long bound = accBound[Math.min(c, accBound.length - 1)];
      if (n == 1) {
        for (long b : accBound) {
          bound = Math.max(bound, b);
        }
      }
      long shifted = bound << lefts[c];
      // The rounding shift folds its tie rule into one add only for a right shift of 1 or more.
      if (rights[c] == 0) {
        problem = "channel " + c + " has no right shift";
      } else if (shifted >= (1L << 31)) {
        problem = "channel " + c + ": |acc| << " + lefts[c] + " may reach " + shifted;
      } else if ((shifted * (long) q.multiplier(c) >> 31) + 1 + (1L << (rights[c] - 1))
          >= (1L << 31)) {
        problem = "channel " + c + ": the rounding add may overflow";
      }
    }
    ActivationRange range = ActivationRange.quantized(act, ctx.out(), ctx.where());
    int zp = (int) ctx.out().quant().zeroPoint();
    if (problem != null) {
      return new DspRequant(Requant.declare(ctx, q, act), null, null, null, false, zp, range,
          "portable requantization (" + problem + ")");
    }
    String bounds = "|acc| <= " + max(accBound);
    if (!q.perChannel()) {
      return new DspRequant(null, CSource.intLiteral(q.multiplier(0)),
          Integer.toString(lefts[0]), Integer.toString(rights[0]), false, zp, range,
          "SMLAL requantization (" + bounds + ")");
    }
    String m = ctx.name("mult");
    ctx.src().array("static const int32_t " + m, q.multipliers());
    String l = "0";
    for (int x : lefts) {
      if (x != 0) {
        l = ctx.name("left");
        ctx.src().array("static const int8_t " + l, lefts);
        break;
      }
    }
    String r = ctx.name("right");
    ctx.src().array("static const int8_t " + r, rights);
    ctx.src().blank();
    return new DspRequant(null, m, l, r, true, zp, range,
        "SMLAL requantization (" + bounds + ")");
  }

  private static long max(long[] xs) {
    long m = 0;
    for (long x : xs) {
      m = Math.max(m, x);
    }
    return m;
  }

  /** How the layer requantizes, for the compile report. */
  String why() {
    return why;
  }

  /** The int8 value stored for accumulator {@code acc} of channel {@code ch}. */
  String store(String acc, String ch) {
    if (portable != null) {
      return portable.store(acc, ch);
    }
    String m = perChannel ? mult + "[" + ch + "]" : mult;
    String l = perChannel && !left.equals("0") ? left + "[" + ch + "]" : left;
    String r = perChannel ? right + "[" + ch + "]" : right;
    String v = "kiln_dsp_requant(" + acc + ", " + m + ", " + l + ", " + r + ", " + zeroPoint
        + ")";
    if (range.min() > -128 || range.max() < 127) {
      v = "kiln_dsp_clamp(" + v + ", " + range.min() + ", " + range.max() + ")";
    }
    return "(int8_t)" + v;
  }
}
