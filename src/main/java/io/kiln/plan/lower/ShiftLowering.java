package io.kiln.plan.lower;

import io.kiln.KilnException;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Requant;
import io.kiln.ir.Value;
import io.kiln.plan.dispatch.Layer;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.ShiftStage;
import io.kiln.target.OpPattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Rewrites the layers of a shift-only unit: each rescaling becomes an explicit right shift of a
 * {@link Requant.Shift} output stage, with the pattern's rounding, input narrowing and output
 * range. Dispatch only sends such a unit layers whose ratios are powers of two, except where the
 * user allowed rounding (a fused residual Add under {@code --ternarize}); a ratio is checked
 * again here, so nothing is rounded silently.
 *
 * <p>How an int8 activation becomes the narrower input of an array (DIANA analog: 7 bits): an
 * arithmetic shift right by {@code 8 - bits}, with the input scale multiplied by
 * {@code 2^(8 - bits)} (the layer's shifts are one less per bit) and the zero point shifted the
 * same way. We drop the low bits rather than saturate: saturating to [-64, 63] would clip every
 * activation of a ReLU output (zero point -128) to nothing, while dropping a bit only halves the
 * resolution over the whole range. An input that the producing stage already clamped into the
 * narrower range (an analog layer's 6-bit output) is not shifted, only saturated.
 *
 * <p>How the output stage writes fewer bits (DIANA analog: a 6-bit ADC): the main operator's
 * output gets the coarser scale {@code scale · 2^(8 - bits)} and zero point
 * {@code zp >> (8 - bits)}, so the same real range fits the narrower codes, and the stage's clamp
 * is that range. Stages fused after it (a residual Add, pooling) write full int8.
 *
 * <p>A floor-rounding stage of a weighted layer rounds half up all the same: the stage adds the
 * bias before it shifts, so the bias takes {@code 2^(s-1)} more per channel (what TFLite's
 * rounding would otherwise lose is half a step in every layer, which accumulates to several dB
 * of SQNR). Add and pooling stages have no bias and floor.
 */
final class ShiftLowering {
  private ShiftLowering() {}

  /** Relative tolerance: float32 scales that are exact powers of two give exact ratios. */
  private static final double TOLERANCE = 1e-6;

  /** The main operator of a layer at node {@code at}. */
  static void layer(Work w, int at, Layer layer, Lowering.Unit unit) {
    switch (layer.kind()) {
      case CONV2D, DEPTHWISE_CONV2D, FULLY_CONNECTED -> weighted(w, at, unit);
      case ADD -> add(w, at, unit, false);
      case AVG_POOL -> averagePool(w, at, unit);
      case MAX_POOL -> { }
      case ACTIVATION -> {
        if (!w.input(at, 0).quant().equals(w.output(at).quant())) {
          throw unsupported(w, at, unit, "a rescaling " + w.node(at).op().opName());
        }
      }
      case SUB, MUL, MATMUL -> throw unsupported(w, at, unit, w.node(at).op().opName());
    }
  }

  /** A stage fused into the calls of the layer before it. */
  static void fused(Work w, int at, Layer.Fused f, Lowering.Unit unit) {
    switch (f.stage()) {
      case RESIDUAL_ADD -> add(w, at, unit, unit.ternarize());
      case AVG_POOL -> averagePool(w, at, unit);
      case MAX_POOL, BIAS, BATCH_NORM -> { }
    }
  }

  private static void weighted(Work w, int at, Lowering.Unit unit) {
    OpPattern p = unit.pattern();
    Op.ConstantSlots slots = Op.constantSlots(w.node(at).op()).orElseThrow();
    Value in = w.input(at, 0);
    int bits = Math.min(8, p.inputBits());
    int inputShift = inputShift(w, in, bits);
    if (inputShift > 0) {
      w.note(at, unit.name(), "inputs: narrowed to " + bits + " bits (>> " + inputShift
          + ", input scale x" + (1 << inputShift) + ")", true);
    }
    if (p.outputBits() < 8) {
      narrowOutput(w, at, p.outputBits(), unit);
    }
    int channels = channels(w, at);
    double sIn = scale(w.input(at, 0)) * (1 << inputShift);
    double sOut = scale(w.output(at));
    double[] sW = WeightLowering.weights(w, at, slots, unit, sIn, sOut, channels);
    WeightLowering.bias(w, at, slots, unit, sIn, sW);
    List<Integer> shifts = new ArrayList<>();
    for (int c = 0; c < channels; c++) {
      shifts.add(shift(w, at, unit, sIn * sW[c] / sOut, "in·w/out of channel " + c, false));
    }
    if (p.shiftRounding().orElseThrow() == Requant.Rounding.FLOOR) {
      WeightLowering.roundingIntoBias(w, at, slots, unit, shifts);
    }
    int zp = ShiftStage.narrow((int) w.input(at, 0).quant().zeroPoint(), inputShift, bits);
    WeightLowering.noteSaturatedBias(w, at, slots, unit, zp);
    int[] clamp = clamp(w, at, activation(w.node(at).op()), p.outputBits());
    Requant.Shift s = new Requant.Shift(p.shiftRounding().orElseThrow(), shifts, bits,
        inputShift, clamp[0], clamp[1]);
    stage(w, at, unit, s);
  }

  private static void add(Work w, int at, Lowering.Unit unit, boolean mayRound) {
    double out = scale(w.output(at));
    int lhs = shift(w, at, unit, scale(w.input(at, Op.Add.LHS)) / out, "lhs/out", mayRound);
    int rhs = shift(w, at, unit, scale(w.input(at, Op.Add.RHS)) / out, "rhs/out", mayRound);
    int[] clamp = clamp(w, at, activation(w.node(at).op()), 8);
    stage(w, at, unit, new Requant.Shift(unit.pattern().shiftRounding().orElseThrow(),
        List.of(lhs, rhs), clamp[0], clamp[1]));
  }

  private static void averagePool(Work w, int at, Lowering.Unit unit) {
    int k = shift(w, at, unit, scale(w.input(at, 0)) / scale(w.output(at)), "in/out", false);
    int[] clamp = clamp(w, at, activation(w.node(at).op()), 8);
    stage(w, at, unit, new Requant.Shift(unit.pattern().shiftRounding().orElseThrow(),
        List.of(k), clamp[0], clamp[1]));
  }

  private static void stage(Work w, int at, Lowering.Unit unit, Requant.Shift s) {
    Op op = w.node(at).op();
    w.setOp(at, switch (op) {
      case Op.Conv2D c -> c.withRequant(s);
      case Op.DepthwiseConv2D d -> d.withRequant(s);
      case Op.FullyConnected f -> f.withRequant(s);
      case Op.Add a -> a.withRequant(s);
      case Op.AveragePool2D a -> a.withRequant(s);
      default -> throw new IllegalStateException(op.opName() + " has no output stage");
    });
    int lo = s.shifts().stream().mapToInt(Integer::intValue).min().orElse(0);
    int hi = s.shifts().stream().mapToInt(Integer::intValue).max().orElse(0);
    w.note(at, unit.name(), "output stage: shift " + s.rounding().yamlName() + ", shifts "
        + (lo == hi ? String.valueOf(lo) : lo + ".." + hi) + ", clamp [" + s.clampMin() + ", "
        + s.clampMax() + "]", false);
  }

  /**
   * The right shift that implements {@code ratio} ({@code ratio = 2^-shift}); a ratio that is
   * not a power of two is rounded to the nearest one in log scale only when {@code mayRound}.
   */
  private static int shift(Work w, int at, Lowering.Unit unit, double ratio, String what,
      boolean mayRound) {
    if (!(ratio > 0) || Double.isInfinite(ratio)) {
      throw new KilnException("cannot lower %" + w.node(at).output() + " for " + unit.name()
          + ": " + what + " = " + ratio + " is not a positive scale ratio");
    }
    int k = (int) -Math.round(Math.log(ratio) / Math.log(2));
    double exact = Math.scalb(1.0, -k);
    boolean powerOfTwo = Math.abs(ratio - exact) <= TOLERANCE * ratio;
    if (!powerOfTwo && !mayRound) {
      throw new KilnException("cannot lower %" + w.node(at).output() + " for " + unit.name()
          + ": " + what + " = " + String.format(Locale.ROOT, "%.6g", ratio)
          + " is not a power of two, and its output stage only shifts");
    }
    if (k < -31) {
      throw new KilnException("cannot lower %" + w.node(at).output() + " for " + unit.name()
          + ": " + what + " = " + ratio + " needs a left shift of " + -k + ", beyond 31");
    }
    if (k > 31) {
      // A channel whose weights are all zero has a vanishing scale. Any int32 sum shifted right
      // by 31 or more is 0 or -1 (floor): the stage saturates at 31, within one step of exact.
      w.note(at, unit.name(), String.format(Locale.ROOT, "%s = %.3g needs a shift of %d:"
          + " saturated at 31", what, ratio, k), true);
      return 31;
    }
    if (!powerOfTwo) {
      w.note(at, unit.name(), String.format(Locale.ROOT, "%s = %.6g rounded to 2^%d", what,
          ratio, -k), true);
    }
    return k;
  }

  /**
   * The arithmetic right shift that narrows an int8 input to {@code bits}: none when its
   * producer's shift stage already clamps it into that range.
   */
  private static int inputShift(Work w, Value in, int bits) {
    if (bits >= 8) {
      return 0;
    }
    int producer = w.producer(in.id());
    if (producer >= 0 && Op.requant(w.node(producer).op()).orElse(Requant.TFLITE)
        instanceof Requant.Shift s && s.clampMin() >= -(1 << (bits - 1))
        && s.clampMax() <= (1 << (bits - 1)) - 1) {
      return 0;
    }
    return 8 - bits;
  }

  /** Gives the main operator's output the coarser scale of a {@code bits}-bit converter. */
  private static void narrowOutput(Work w, int at, int bits, Lowering.Unit unit) {
    Value out = w.output(at);
    if (!(out.quant() instanceof Quantization.PerTensor q)) {
      throw new KilnException("cannot lower %" + out.id() + " for " + unit.name()
          + ": its output is not quantized per tensor");
    }
    int d = 8 - bits;
    Quantization narrowed = new Quantization.PerTensor(Math.scalb(q.scale(), d),
        q.zeroPoint() >> d);
    w.requantize(out.id(), narrowed);
    w.note(at, unit.name(), "output: " + bits + "-bit converter (scale x" + (1 << d)
        + ", zero point " + q.zeroPoint() + " -> " + (q.zeroPoint() >> d) + ")", true);
  }

  /** The activation clamp intersected with the signed range of {@code bits}. */
  private static int[] clamp(Work w, int at, Op.Activation act, int bits) {
    ActivationRange r = ActivationRange.quantized(act, w.output(at).type(),
        "%" + w.node(at).output());
    return new int[] {Math.max(r.min(), -(1 << (bits - 1))),
        Math.min(r.max(), (1 << (bits - 1)) - 1)};
  }

  private static Op.Activation activation(Op op) {
    return switch (op) {
      case Op.Conv2D c -> c.act();
      case Op.DepthwiseConv2D d -> d.act();
      case Op.FullyConnected f -> f.act();
      case Op.Add a -> a.act();
      case Op.AveragePool2D a -> a.act();
      default -> Op.Activation.NONE;
    };
  }

  private static int channels(Work w, int at) {
    int[] d = w.output(at).shape().dims();
    return d[d.length - 1];
  }

  private static double scale(Value v) {
    if (!(v.quant() instanceof Quantization.PerTensor p)) {
      throw new KilnException("%" + v.id() + " \"" + v.name() + "\" is not quantized per tensor");
    }
    return p.scale();
  }

  private static KilnException unsupported(Work w, int at, Lowering.Unit unit, String what) {
    return new KilnException("cannot lower %" + w.node(at).output() + " for " + unit.name()
        + ": " + what + " has no shift-only form in the IR yet");
  }
}
