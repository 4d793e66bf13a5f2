package io.kiln.ir;

/**
 * How a value is rounded onto an integer output scale: the one vocabulary of requantization that
 * the IR (the {@link Op.Quantize} step and the output stage of every weighted or rescaling
 * operator, see {@link Requant}) and the hardware descriptions (what an accelerator's output
 * stage implements) share, so dispatch rules can check it and the interpreter can execute it
 * exactly.
 */
public enum RequantScheme {
  /**
   * TFLite: integer → integer by a Q31 multiplier and shift ({@code io.kiln.quant.FixedPoint});
   * float → integer by {@code round(x / scale)} with ties away from zero.
   */
  FIXED_POINT,
  /**
   * ONNX (QuantizeLinear, QLinearConv, QLinearMatMul): multiply by the float32 ratio of scales
   * (or divide a float by the scale) and round half to even, then add the zero point and
   * saturate. No accelerator output stage implements it.
   */
  FLOAT_HALF_EVEN,
  /**
   * Shift only: {@code clip(((acc + bias) >> s) + zp)} with an explicit right shift per output
   * channel and the rounding the hardware description declares ({@link Requant.Rounding}); see
   * {@code io.kiln.quant.ShiftStage} for the exact order of operations.
   */
  SHIFT
}
