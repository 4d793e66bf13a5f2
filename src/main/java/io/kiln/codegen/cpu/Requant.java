package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.ir.Op.Activation;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.ConvRequant;

/**
 * The output stage of a conv/FC layer in generated C: its multiplier/shift tables (or scalars
 * when every channel shares them), zero point and activation clamp, declared once per layer.
 */
final class Requant {
  private final String mult;
  private final String shift;
  private final boolean perChannel;
  private final int zeroPoint;
  private final ActivationRange range;

  private Requant(String mult, String shift, boolean perChannel, int zeroPoint,
      ActivationRange range) {
    this.mult = mult;
    this.shift = shift;
    this.perChannel = perChannel;
    this.zeroPoint = zeroPoint;
    this.range = range;
  }

  /** Emits the layer's static tables (if per-channel) and returns the store expression maker. */
  static Requant declare(LayerContext ctx, ConvRequant q, Activation act) {
    ActivationRange range = ActivationRange.quantized(act, ctx.out(), ctx.where());
    int zp = (int) ctx.out().quant().zeroPoint();
    int[] multipliers = q.multipliers();
    for (int m : multipliers) {
      // kiln_requant's branch-free rounding has no saturating case: it needs this.
      if (m == Integer.MIN_VALUE) {
        throw new IllegalStateException("quantized multiplier INT32_MIN");
      }
    }
    if (!q.perChannel()) {
      return new Requant(CSource.intLiteral(q.multiplier(0)), Integer.toString(q.shift(0)),
          false, zp, range);
    }
    String m = ctx.name("mult");
    String s = ctx.name("shift");
    ctx.src().array("static const int32_t " + m, multipliers);
    ctx.src().array("static const int8_t " + s, q.shifts());
    ctx.src().blank();
    return new Requant(m, s, true, zp, range);
  }

  /** The int8 value stored for accumulator {@code acc} of channel {@code ch}. */
  String store(String acc, String ch) {
    String m = perChannel ? mult + "[" + ch + "]" : mult;
    String s = perChannel ? shift + "[" + ch + "]" : shift;
    return "(int8_t)kiln_requant(" + acc + ", " + m + ", " + s + ", " + zeroPoint + ", "
        + range.min() + ", " + range.max() + ")";
  }
}
