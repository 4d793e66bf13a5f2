package io.kiln.plan.weights;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Requant;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Value;
import io.kiln.quant.ConvRequant;
import io.kiln.quant.ShiftStage;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * The per-output-channel constants an accelerator's output stage reads beside the weights: the
 * int32 bias and the requantization of the channel. Stored as packed little-endian records, one
 * per channel in K order: {@code [bias int32][multiplier int32][shift int8]} under TFLite's
 * fixed-point scheme, {@code [bias int32][shift int8]} under a shift-only one (the right shift
 * {@code s} of {@code (acc + bias) >> s}), the bias alone when the stage writes raw accumulators;
 * no bias field when the layer has none.
 *
 * @param format which fields each record has
 * @param bias per channel (empty without a bias)
 * @param multipliers Q31 multipliers (empty unless fixed-point)
 * @param shifts TFLite shifts (fixed-point) or right shifts (shift-only); empty without requant
 */
public record ChannelParams(Format format, int[] bias, int[] multipliers, int[] shifts) {

  public ChannelParams {
    bias = bias.clone();
    multipliers = multipliers.clone();
    shifts = shifts.clone();
  }

  /** The fields of one channel's record. */
  public record Format(boolean bias, Scheme scheme) {
    /**
     * The record an output stage of {@code schemes} reads: fixed-point when it implements it
     * (then any ratio can be requantized), else shift-only, else none.
     */
    public static Format of(boolean hasBias, List<RequantScheme> schemes) {
      Scheme s = schemes.contains(RequantScheme.FIXED_POINT) ? Scheme.FIXED_POINT
          : schemes.isEmpty() ? Scheme.NONE : Scheme.SHIFT;
      return new Format(hasBias, s);
    }

    /** Bytes of one channel's record: the one size the tiler, DMA and blobs use. */
    public int bytes() {
      return (bias ? 4 : 0) + switch (scheme) {
        case FIXED_POINT -> 5;
        case SHIFT -> 1;
        case NONE -> 0;
      };
    }
  }

  /** How the output stage requantizes. */
  public enum Scheme {
    /** TFLite's Q31 multiplier and shift. */
    FIXED_POINT,
    /** A right shift only. */
    SHIFT,
    /** Raw accumulators: no requantization constants. */
    NONE
  }

  /**
   * The constants of {@code n} (a conv, depthwise conv or fully-connected node of {@code g}) in
   * {@code format}: the bias tensor's values, and TFLite's per-channel multipliers and shifts
   * ({@link ConvRequant}, the one owner of that arithmetic); a shift-only stage stores the right
   * shift of the power of two nearest each ratio (dispatch only sends it layers whose ratios are
   * powers of two). For a layer that target-exact lowering gave a shift stage, the stage's
   * prepared {@link ShiftStage} gives the shifts and the bias (zero point folded in).
   */
  public static ChannelParams of(Graph g, Node n, Format format) {
    Op.ConstantSlots slots = Op.constantSlots(n.op()).orElseThrow(
        () -> new IllegalArgumentException(n.op().opName() + " has no per-channel constants"));
    int weightSlot = slots.weights();
    int biasSlot = slots.bias();
    boolean fc = n.op() instanceof Op.FullyConnected;
    Value w = g.input(n, weightSlot);
    Value out = g.output(n);
    int channels = n.op() instanceof Op.DepthwiseConv2D ? w.shape().dim(3) : w.shape().dim(0);
    int[] bias = new int[0];
    if (format.bias() && !n.hasInput(biasSlot)) {
      // A shift stage's record holds the folded zero point even for a layer without a bias.
      bias = new int[channels];
    } else if (format.bias()) {
      Value b = g.input(n, biasSlot);
      if (!b.isConstant() || b.dtype() != DType.INT32 || b.type().elements() != channels) {
        throw new IllegalArgumentException("bias of " + n.op().opName() + " %" + n.output()
            + " is not a constant int32 vector of " + channels);
      }
      bias = b.data().asInts(DType.INT32);
    }
    if (format.scheme() == Scheme.NONE) {
      return new ChannelParams(format, bias, new int[0], new int[0]);
    }
    String where = n.op().opName() + " %" + n.output();
    Value in = g.input(n, 0);
    if (format.scheme() == Scheme.SHIFT
        && Op.requant(n.op()).orElse(Requant.TFLITE) instanceof Requant.Shift) {
      // A lowered layer: its prepared stage is the one source of the shifts and of the bias
      // with the zero point folded in (what the unit adds).
      ShiftStage st = ShiftStage.of(g, n);
      return new ChannelParams(format, format.bias() ? st.bias() : bias, new int[0],
          st.shifts());
    }
    ConvRequant rq = fc ? ConvRequant.fullyConnected(in.type(), w.type(), out.type(), channels, where)
        : ConvRequant.convolution(in.type(), w.type(), out.type(), channels, where);
    if (format.scheme() == Scheme.FIXED_POINT) {
      return new ChannelParams(format, bias, rq.multipliers(), rq.shifts());
    }
    int[] right = new int[channels];
    for (int k = 0; k < channels; k++) {
      // ratio = multiplier · 2^(shift - 31); the shift-only stage divides by 2^right.
      double log2 = Math.log(rq.multiplier(k) / (double) (1L << 31)) / Math.log(2) + rq.shift(k);
      right[k] = -(int) Math.round(log2);
    }
    return new ChannelParams(format, bias, new int[0], right);
  }

  public int channels() {
    return format.bias() ? bias.length : shifts.length;
  }

  /** Writes channel {@code k}'s record at the buffer's position (little-endian). */
  void write(int k, ByteBuffer b) {
    if (format.bias()) {
      b.putInt(bias[k]);
    }
    if (format.scheme() == Scheme.FIXED_POINT) {
      b.putInt(multipliers[k]);
    }
    if (format.scheme() != Scheme.NONE) {
      b.put(checkedByte(shifts[k]));
    }
  }

  /** Reads {@code channels} records in {@code format} from the buffer's position. */
  static ChannelParams read(Format format, int channels, ByteBuffer b) {
    int[] bias = new int[format.bias() ? channels : 0];
    int[] mult = new int[format.scheme() == Scheme.FIXED_POINT ? channels : 0];
    int[] shifts = new int[format.scheme() == Scheme.NONE ? 0 : channels];
    for (int k = 0; k < channels; k++) {
      if (format.bias()) {
        bias[k] = b.getInt();
      }
      if (format.scheme() == Scheme.FIXED_POINT) {
        mult[k] = b.getInt();
      }
      if (format.scheme() != Scheme.NONE) {
        shifts[k] = b.get();
      }
    }
    return new ChannelParams(format, bias, mult, shifts);
  }

  private static byte checkedByte(int v) {
    if (v < Byte.MIN_VALUE || v > Byte.MAX_VALUE) {
      throw new IllegalArgumentException("shift " + v + " does not fit the record's int8 field");
    }
    return (byte) v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChannelParams p && format.equals(p.format) && Arrays.equals(bias, p.bias)
        && Arrays.equals(multipliers, p.multipliers) && Arrays.equals(shifts, p.shifts);
  }

  @Override
  public int hashCode() {
    return format.hashCode() * 31 + Arrays.hashCode(bias) * 7 + Arrays.hashCode(shifts);
  }

  @Override
  public String toString() {
    return "ChannelParams[" + format + ", " + channels() + " channels]";
  }

  /** Copies of the arrays keep the record immutable. */
  @Override
  public int[] bias() {
    return bias.clone();
  }

  @Override
  public int[] multipliers() {
    return multipliers.clone();
  }

  @Override
  public int[] shifts() {
    return shifts.clone();
  }
}
