package io.kiln.plan.lower;

import io.kiln.KilnException;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.quant.ShiftStage;
import io.kiln.target.OpPattern.WeightFormat;
import java.util.Arrays;

/**
 * Gives a layer's weights the encoding its unit stores and its bias the scale its accumulator
 * has: a ternary-only array gets ternary cells (int8 weights converted by {@link
 * TernaryWeights} when the user allowed it), an int8 array dense int8; the bias is rescaled when
 * the weight scales or the (narrowed) input scale changed.
 */
final class WeightLowering {
  private WeightLowering() {}

  /** Relative tolerance under which two scales are the same float32 scale. */
  private static final double SAME = 1e-6;

  /** On a fixed-point unit: ternary cells become int8 again, the rest stays as it is. */
  static void fixedPoint(Work w, int at, Lowering.Unit unit) {
    Op.ConstantSlots slots = Op.constantSlots(w.node(at).op()).orElseThrow();
    dense(w, at, slots, unit);
  }

  /**
   * Encodes the weights for {@code unit} and returns every output channel's weight scale after
   * that; {@code inputScale} and {@code outputScale} are what the array sees (narrowed).
   */
  static double[] weights(Work w, int at, Op.ConstantSlots slots, Lowering.Unit unit,
      double inputScale, double outputScale, int channels) {
    boolean ternaryOnly = unit.pattern().weights().contains(WeightFormat.TERNARY)
        && !unit.pattern().weights().contains(WeightFormat.INT8);
    if (!ternaryOnly) {
      dense(w, at, slots, unit);
      return scales(w.input(at, slots.weights()), channels);
    }
    Value v = w.input(at, slots.weights());
    if (v.type().encoding() instanceof Encoding.Ternary) {
      return scales(v, channels);
    }
    if (!unit.ternarize()) {
      throw new KilnException("cannot lower %" + w.node(at).output() + " for " + unit.name()
          + ": its weights are int8 and the unit holds ternary cells (plan with --ternarize)");
    }
    if (w.node(at).op() instanceof Op.DepthwiseConv2D) {
      throw new KilnException("cannot ternarize the depthwise %" + w.node(at).output()
          + " for " + unit.name() + ": ternary arrays take conv and fully-connected weights");
    }
    int[] q = v.data().asInts(DType.INT8);
    TernaryWeights t = TernaryWeights.of(q, channels, scales(v, channels), inputScale,
        outputScale);
    double[] before = scales(v, channels);
    boolean changed = !Arrays.equals(q, t.values());
    for (int c = 0; c < channels && !changed; c++) {
      changed = !same(before[c], t.scales()[c]);
    }
    TensorType type = v.type().withEncoding(Encoding.TERNARY)
        .withQuant(new Quantization.PerAxis(0, t.scales(), new long[channels]));
    w.setConstant(at, slots.weights(), type, ConstData.ofInts(DType.INT8, t.values()));
    w.note(at, unit.name(), changed ? "weights: ternarized into ternary cells (threshold 0.7"
        + " mean |q|, channel scales moved to powers of two)" : "weights: ternary cells", changed);
    return scales(w.input(at, slots.weights()), channels);
  }

  /**
   * Rescales the int32 bias to the accumulator scale {@code inputScale} × {@code weightScales[c]}
   * when it differs (narrowed inputs, new weight scales).
   */
  static void bias(Work w, int at, Op.ConstantSlots slots, Lowering.Unit unit, double inputScale,
      double[] weightScales) {
    if (!w.node(at).hasInput(slots.bias())) {
      return;
    }
    Value b = w.input(at, slots.bias());
    if (!b.isConstant() || b.dtype() != DType.INT32) {
      throw new KilnException("cannot lower %" + w.node(at).output() + " for " + unit.name()
          + ": its bias is not a constant i32");
    }
    int channels = weightScales.length;
    double[] old = scales(b, channels);
    float[] scales = new float[channels];
    boolean changed = false;
    for (int c = 0; c < channels; c++) {
      scales[c] = (float) (inputScale * weightScales[c]);
      changed |= !same(old[c], inputScale * weightScales[c]);
    }
    if (!changed) {
      return;
    }
    int[] q = b.data().asInts(DType.INT32);
    int[] nq = new int[channels];
    for (int c = 0; c < channels; c++) {
      double v = Math.rint(q[c] * old[c] / (inputScale * weightScales[c]));
      nq[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }
    w.setConstant(at, slots.bias(), b.type().withQuant(new Quantization.PerAxis(0, scales,
        new long[channels])), ConstData.ofInts(DType.INT32, nq));
    w.note(at, unit.name(), "bias: rescaled to the accumulator scale", true);
  }

  /**
   * Adds {@code 2^(s-1)} to the bias of every channel with right shift {@code s > 0}, so that a
   * floor shift of {@code acc + bias} rounds half up; a channel where that would leave int32
   * keeps its bias. Nothing to do without a bias.
   */
  static void roundingIntoBias(Work w, int at, Op.ConstantSlots slots, Lowering.Unit unit,
      java.util.List<Integer> shifts) {
    if (!w.node(at).hasInput(slots.bias())) {
      return;
    }
    Value b = w.input(at, slots.bias());
    int[] q = b.data().asInts(DType.INT32);
    boolean changed = false;
    for (int c = 0; c < q.length; c++) {
      int s = shifts.get(c);
      long v = s > 0 ? q[c] + (1L << (s - 1)) : q[c];
      if (v == (int) v && v != q[c]) {
        q[c] = (int) v;
        changed = true;
      }
    }
    if (changed) {
      w.setConstant(at, slots.bias(), b.type(), ConstData.ofInts(DType.INT32, q));
      w.note(at, unit.name(), "bias: + 2^(s-1) per channel, so the floor shift rounds half up",
          false);
    }
  }

  /**
   * Notes the channels whose bias with the zero point folded in ({@link
   * ShiftStage#foldedBias}) leaves int32, where the stage saturates it.
   */
  static void noteSaturatedBias(Work w, int at, Op.ConstantSlots slots, Lowering.Unit unit,
      int narrowedZeroPoint) {
    Value wv = w.input(at, slots.weights());
    int channels = w.output(at).shape().dim(-1);
    long[] sums = ShiftStage.weightSums(wv.data().asInts(DType.INT8), channels,
        w.node(at).op() instanceof Op.DepthwiseConv2D);
    int[] b = w.node(at).hasInput(slots.bias())
        ? w.input(at, slots.bias()).data().asInts(DType.INT32) : new int[channels];
    int saturated = 0;
    for (int c = 0; c < channels; c++) {
      long v = ShiftStage.foldedBias(b[c], narrowedZeroPoint, sums[c]);
      saturated += v != (int) v ? 1 : 0;
    }
    if (saturated > 0) {
      w.note(at, unit.name(), "bias: " + saturated + " channel" + (saturated == 1 ? "" : "s")
          + " saturated at int32 with the zero point folded in", true);
    }
  }

  /**
   * Int8 cells: dense int8, except N:M weights on a unit that declares a format they follow,
   * which keep it in that format (the unit's blob stores values and offsets).
   */
  private static void dense(Work w, int at, Op.ConstantSlots slots, Lowering.Unit unit) {
    Value v = w.input(at, slots.weights());
    if (v.type().encoding() instanceof Encoding.Dense) {
      return;
    }
    if (v.type().encoding() instanceof Encoding.NM nm && unit.accelerator() != null
        && !(w.node(at).op() instanceof Op.DepthwiseConv2D)) {
      java.util.Optional<Encoding.NM> f = unit.accelerator().sparsity().formatFor(nm);
      if (f.isPresent()) {
        if (!f.get().equals(nm)) {
          w.setConstant(at, slots.weights(), v.type().withEncoding(f.get()), v.data());
          w.note(at, unit.name(), "weights: " + nm + " sparse, stored as " + f.get(), false);
        }
        return;
      }
    }
    w.setConstant(at, slots.weights(), v.type().withEncoding(Encoding.DENSE), v.data());
    w.note(at, unit.name(), "weights: stored as int8", false);
  }

  /** Per-channel scales of a weight or bias tensor (a per-tensor scale repeated). */
  static double[] scales(Value v, int channels) {
    double[] s = new double[channels];
    for (int c = 0; c < channels; c++) {
      s[c] = switch (v.quant()) {
        case Quantization.PerAxis p -> p.scale(p.channels() == 1 ? 0 : c);
        case Quantization.PerTensor p -> p.scale();
        case Quantization.None n -> throw new KilnException("%" + v.id() + " \"" + v.name()
            + "\" is not quantized");
      };
    }
    return s;
  }

  private static boolean same(double a, double b) {
    return Math.abs(a - b) <= SAME * Math.abs(b);
  }
}
