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
  /** Per channel {mult, add, right[, left]}, or null for one set of constants. */
  private final String table;
  private final int stride;
  private final int[] scalar;
  private final ActivationRange range;
  private final String why;
  /** The per-channel table's values, for {@link #lanes}. */
  private int[] rowsValues;

  private DspRequant(Requant portable, String table, int stride, int[] scalar,
      ActivationRange range, String why) {
    this.portable = portable;
    this.table = table;
    this.stride = stride;
    this.scalar = scalar;
    this.range = range;
    this.why = why;
  }

  /**
   * The per-channel constants of the fast requantization, or why it cannot be used
   * ({@code problem} non-null): for kernels that lay the constants out themselves.
   */
  record Lanes(int[] mult, int[] add, int[] right, int[] left, ActivationRange range,
      String problem, String bounds) {}

  static Lanes lanes(LayerContext ctx, ConvRequant q, Activation act, long[] accBound,
      int channels) {
    DspRequant probe = declare(ctx, q, act, accBound, false);
    ActivationRange range = ActivationRange.quantized(act, ctx.out(), ctx.where());
    if (probe.portable != null || probe.why.startsWith("portable")) {
      return new Lanes(null, null, null, null, range, probe.why, null);
    }
    int[] rows = probe.table == null ? probe.scalar : probe.rowsValues;
    int st = probe.stride;
    int[] m = new int[channels];
    int[] a = new int[channels];
    int[] r = new int[channels];
    int[] l = new int[channels];
    for (int c = 0; c < channels; c++) {
      int i = (probe.table == null ? 0 : c) * st;
      m[c] = rows[i];
      a[c] = rows[i + 1];
      r[c] = rows[i + 2];
      l[c] = st == 4 ? rows[i + 3] : 0;
    }
    return new Lanes(m, a, r, l, range, null, probe.why);
  }

  /**
   * Emits the layer's tables and returns the store expression maker. {@code accBound[c]} bounds
   * |accumulator| of channel {@code c} (one entry per channel of the requantization).
   */
  static DspRequant declare(LayerContext ctx, ConvRequant q, Activation act, long[] accBound) {
    return declare(ctx, q, act, accBound, true);
  }

  /** As {@link #declare}; with {@code emit} false it only decides, writing no tables. */
  private static DspRequant declare(LayerContext ctx, ConvRequant q, Activation act,
      long[] accBound, boolean emit) {
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
          + 128L * (1L << rights[c]) >= (1L << 31)) {
        problem = "channel " + c + ": the rounding add may overflow";
      }
    }
    ActivationRange range = ActivationRange.quantized(act, ctx.out(), ctx.where());
    int zp = (int) ctx.out().quant().zeroPoint();
    if (problem != null) {
      return new DspRequant(emit ? Requant.declare(ctx, q, act) : null, null, 0, null, range,
          "portable requantization (" + problem + ")");
    }
    String bounds = "|acc| <= " + max(accBound);
    boolean anyLeft = false;
    for (int x : lefts) {
      anyLeft |= x != 0;
    }
    int stride = anyLeft ? 4 : 3;
    int[] rows = new int[n * stride];
    for (int c = 0; c < n; c++) {
      rows[c * stride] = q.multiplier(c);
      // The rounding nudge and the output zero point, both added before the one shift.
      rows[c * stride + 1] = (1 << (rights[c] - 1)) + zp * (1 << rights[c]);
      rows[c * stride + 2] = rights[c];
      if (anyLeft) {
        rows[c * stride + 3] = lefts[c];
      }
    }
    if (!q.perChannel()) {
      return new DspRequant(null, null, stride, rows, range,
          "SMLAL requantization (" + bounds + ")");
    }
    String t = ctx.name("rq");
    if (emit) {
      ctx.src().line("/* Per channel: multiplier, nudge + zero point << right, right shift%s. */",
          anyLeft ? ", left shift" : "");
      ctx.src().array("static const int32_t " + t, rows);
      ctx.src().blank();
    }
    DspRequant r = new DspRequant(null, t, stride, null, range,
        "SMLAL requantization (" + bounds + ")");
    r.rowsValues = rows;
    return r;
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
    String m;
    String l;
    String a;
    String r;
    if (table == null) {
      m = CSource.intLiteral(scalar[0]);
      a = CSource.intLiteral(scalar[1]);
      r = Integer.toString(scalar[2]);
      l = stride == 4 ? Integer.toString(scalar[3]) : "0";
    } else {
      String base = table + "[(" + ch + ") * " + stride;
      m = base + "]";
      a = base + " + 1]";
      r = base + " + 2]";
      l = stride == 4 ? base + " + 3]" : "0";
    }
    String v = "kiln_dsp_requant(" + acc + ", " + m + ", " + l + ", " + a + ", " + r + ")";
    if (range.min() > -128 || range.max() < 127) {
      v = "kiln_dsp_clamp(" + v + ", " + range.min() + ", " + range.max() + ")";
    }
    return "(int8_t)" + v;
  }
}
