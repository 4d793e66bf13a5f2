package io.kiln.ir;

import java.util.List;
import java.util.Locale;

/**
 * The output stage of an operator that rescales its sum (conv, depthwise conv, fully connected,
 * Add, average pooling): which arithmetic maps it onto the output's integer scale. The default,
 * {@link #TFLITE}, derives everything from the tensors' scales as TensorFlow Lite does; a
 * {@link Shift} stage, which target-exact lowering writes for a unit whose output stage only
 * shifts, carries its shifts, input narrowing and clamp explicitly, so the interpreter executes
 * exactly what the unit computes and a backend reads the same numbers.
 */
public sealed interface Requant {

  /** TFLite's fixed-point output stage: what every imported operator has. */
  Requant TFLITE = new FixedPoint();

  RequantScheme scheme();

  /**
   * Fails, naming the first such node, when {@code g} has an output stage other than TFLite's,
   * which a TFLite or ONNX file cannot express (a lowered graph is for the interpreter and the
   * backends).
   */
  static void requireTflite(Graph g, String what) {
    for (Node n : g.nodes()) {
      if (Op.requant(n.op()).orElse(TFLITE) instanceof Shift s) {
        throw new io.kiln.KilnException(what + " cannot express the lowered " + n.op().opName()
            + " %" + n.output() + " (output stage " + s + "); use the graph before lowering");
      }
    }
  }

  /** TFLite: Q31 multipliers and shifts derived from the scales ({@code io.kiln.quant}). */
  record FixedPoint() implements Requant {
    @Override
    public RequantScheme scheme() {
      return RequantScheme.FIXED_POINT;
    }
  }

  /** How a right shift by {@code s > 0} rounds the bits it drops. */
  enum Rounding {
    /** Arithmetic shift: {@code v >> s}, towards minus infinity. */
    FLOOR,
    /** Round half up (towards plus infinity): {@code (v + 2^(s-1)) >> s}. */
    HALF_UP;

    /** {@code floor}, {@code half_up}: how descriptions and the text form spell it. */
    public String yamlName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A shift-only output stage; {@code io.kiln.quant.ShiftStage} prepares and executes it. What
   * each shift means depends on the operator:
   *
   * <ul>
   *   <li>conv, depthwise, fully connected: one right shift per output channel, applied to
   *       {@code acc + bias} (the real ratio input scale × weight scale / output scale is
   *       {@code 2^-shift}, with the input scale the narrowed one when {@code inputShift > 0});
   *   <li>Add: two shifts, of the lhs and the rhs ({@code 2^-shift} = operand scale / output
   *       scale); both operands are aligned to the larger shift {@code S} by left shifts, summed
   *       and shifted right by {@code S} once;
   *   <li>average pooling: one ({@code 2^-shift} = input scale / output scale, 0 when they are
   *       equal); the sum of a window is shifted right by it plus log2 of the window's element
   *       count, which must be a power of two.
   * </ul>
   *
   * A negative shift is a left shift (a ratio above one).
   *
   * @param rounding how every right shift rounds
   * @param shifts see above
   * @param inputBits the bits the unit's array takes; 8 means no narrowing
   * @param inputShift the arithmetic right shift that narrows an int8 input (and its zero point)
   *     before the array reads it; the result saturates to {@code inputBits}
   * @param clampMin lowest output code (after the output zero point is added): the activation's
   *     and the unit's output range together
   * @param clampMax highest output code
   */
  record Shift(Rounding rounding, List<Integer> shifts, int inputBits, int inputShift,
      int clampMin, int clampMax) implements Requant {
    public Shift {
      java.util.Objects.requireNonNull(rounding);
      shifts = List.copyOf(shifts);
      for (int s : shifts) {
        if (s < -31 || s > 31) {
          throw new IllegalArgumentException("shift " + s + " outside -31..31");
        }
      }
      if (inputBits < 2 || inputBits > 8 || inputShift < 0 || inputShift > 7) {
        throw new IllegalArgumentException("input narrowing to " + inputBits + " bits by >> "
            + inputShift + " out of range");
      }
      if (clampMin > clampMax) {
        throw new IllegalArgumentException("empty clamp [" + clampMin + ", " + clampMax + "]");
      }
    }

    /** A stage that does not narrow its input. */
    public Shift(Rounding rounding, List<Integer> shifts, int clampMin, int clampMax) {
      this(rounding, shifts, 8, 0, clampMin, clampMax);
    }

    @Override
    public RequantScheme scheme() {
      return RequantScheme.SHIFT;
    }

    /** The shift of channel {@code c}. */
    public int shift(int c) {
      return shifts.get(c);
    }

    /** {@code shift(floor, [7,7,8], clamp=[-128,127])}: the canonical text form. */
    @Override
    public String toString() {
      return "shift(" + rounding.yamlName() + ", " + shifts.toString().replace(" ", "")
          + (inputBits < 8 || inputShift > 0 ? ", input=i" + inputBits + ">>" + inputShift : "")
          + ", clamp=[" + clampMin + "," + clampMax + "])";
    }
  }
}
