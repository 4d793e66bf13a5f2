package io.kiln.target;

/**
 * How a simulator times one job of an accelerator's array, beyond the planner's array steps.
 * {@link Model#ARRAY_STEPS} charges the unroll's steps at {@link Accelerator#cyclesPerArrayStep}
 * each (the analytic model's view); {@link Model#OUTPUT_BLOCKS} charges, per block of outputs the
 * array produces at once, {@code perReduction·R + perRowLoad·L + perBlock} cycles, where R is the
 * block's reduction steps (C·FY·FX over what the array unrolls of them) and L the input rows it
 * loads (R over FX): the shape of DIANA's published per-block model. Either way the unit's output
 * stage then passes {@code perOutputGroup} cycles per {@code outputGroup} outputs.
 */
public record ArrayTiming(Model model, double perReduction, double perRowLoad, double perBlock,
    double perOutputGroup, int outputGroup) {

  /** The planner's view: array steps only. */
  public static final ArrayTiming STEPS = new ArrayTiming(Model.ARRAY_STEPS, 0, 0, 0, 0, 1);

  public ArrayTiming {
    if (perReduction < 0 || perRowLoad < 0 || perBlock < 0 || perOutputGroup < 0 || outputGroup < 1) {
      throw new IllegalArgumentException("negative timing constant");
    }
  }

  /** The two families of array timing. */
  public enum Model {
    ARRAY_STEPS, OUTPUT_BLOCKS
  }
}
