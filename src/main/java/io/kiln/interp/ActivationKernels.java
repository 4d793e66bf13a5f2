package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.LeakyReluRequant;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;

/**
 * Logistic, Tanh, LeakyRelu, Relu and Relu6, following TFLite Micro's logistic_common.cc,
 * tanh.cc, leaky_relu_common.cc, activations_common.cc and the reference kernels they call.
 */
final class ActivationKernels {
  private ActivationKernels() {}

  /** Integer bits of the int8 Logistic/Tanh input after rescaling (Q4.27). */
  static final int INT8_INPUT_INTEGER_BITS = 4;

  /**
   * Prepared int8 Logistic/Tanh: inputs at or beyond the radius saturate; the rest are rescaled
   * to Q4.27 by {@code multiplier * 2^shift}.
   */
  record Int8Params(int inputZeroPoint, int inputRangeRadius, int multiplier, int shift) {}

  /**
   * Prepared int16 Logistic/Tanh: input times {@code multiplier}, rounding-shifted right by
   * {@code rightShift}, lands on the sigmoid table's fixed scale.
   */
  record Int16Params(int multiplier, int rightShift) {}

  /** Prepared quantized LeakyRelu: separate rescales for the identity and alpha branches. */
  /** Prepared quantized Relu: a full requantization, then the clamp at the output's zero. */
  record ReluParams(int inputZeroPoint, int outputZeroPoint, QuantizedMultiplier rescale,
      int min, int max) {}

  // ---------------------------------------------------------------- Logistic

  static Kernel logistic(Graph g, Node n, Op.Logistic op) {
    Value in = g.input(n, Op.Logistic.INPUT);
    Value out = g.output(n);
    requireSameDType(g, n, in, out);
    switch (in.dtype()) {
      case FLOAT32 -> {
        return unaryFloat(out, ActivationKernels::logisticFloat);
      }
      case INT8 -> {
        if (ElementwiseSupport.zeroPoint(g, n, out) != -128) {
          throw ElementwiseSupport.fail(g, n, "int8 Logistic output needs zero point -128");
        }
        Int8Params p = prepareInt8(g, n, in);
        return unaryInt(out, x -> logisticInt8(p, x));
      }
      case INT16 -> {
        Int16Params p = prepareInt16(g, n, in, out, false);
        return unaryInt(out, x -> logisticInt16(p, x));
      }
      default -> throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }

  /** reference_ops::Logistic for float, with TFLite's cutoffs. */
  static float logisticFloat(float v) {
    final float cutoffUpper = 16.619047164916992188f;
    final float cutoffLower = -9.f;
    if (v > cutoffUpper) {
      return 1.0f;
    }
    if (v < cutoffLower) {
      return (float) StrictMath.exp(v);
    }
    return 1.f / (1.f + (float) StrictMath.exp(-v));
  }

  /**
   * logistic_common.cc / tanh.cc for int8 (shared): multiplier from frexp of
   * input_scale * 2^27, without QuantizeMultiplier's carry (a mantissa rounding up to 2^31 would
   * wrap in TFLite's static_cast; we reject it instead).
   */
  static Int8Params prepareInt8(Graph g, Node n, Value in) {
    double real = (double) ElementwiseSupport.scale(g, n, in)
        * (double) (1 << (31 - INT8_INPUT_INTEGER_BITS));
    FixedPoint.Frexp f = FixedPoint.frexp(real);
    long q = FixedPoint.roundHalfAway(f.mantissa() * (1L << 31));
    if (q > Integer.MAX_VALUE) {
      throw ElementwiseSupport.fail(g, n, "input scale " + real + " rounds to an int32 overflow");
    }
    int shift = f.exponent();
    if (shift < 0 || shift > 31) {
      throw ElementwiseSupport.fail(g, n, "input scale gives shift " + shift);
    }
    int radius = FixedPoint.calculateInputRadius(INT8_INPUT_INTEGER_BITS, shift, 31);
    return new Int8Params(ElementwiseSupport.zeroPoint(g, n, in), radius, (int) q, shift);
  }

  /**
   * reference_integer_ops::Logistic for int8. Within the radius, (x - zp) * 2^shift fits int32
   * by construction of the radius; the Q0 result is rounded to 1/256 steps from -128.
   */
  static int logisticInt8(Int8Params p, int x) {
    int input = x - p.inputZeroPoint();
    if (input <= -p.inputRangeRadius()) {
      return -128;
    }
    if (input >= p.inputRangeRadius()) {
      return 127;
    }
    int inputQ4 = FixedPoint.multiplyByQuantizedMultiplier(input, p.multiplier(), p.shift());
    int outputQ0 = FixedPoint.logistic(inputQ4, INT8_INPUT_INTEGER_BITS);
    int outputQ23 = FixedPoint.roundingDivideByPot(outputQ0, 31 - 8);
    return Math.min(Math.max(outputQ23 - 128, -128), 127);
  }

  /**
   * logistic_common.cc / tanh.cc for int16: zero points 0, output scale 2^-15; the input goes
   * to the table's scale of 1/(3 * 4096) either by a power-of-two shortcut or by a 15-bit
   * multiplier found by doubling in double, exactly as TFLite searches it.
   */
  static Int16Params prepareInt16(Graph g, Node n, Value in, Value out, boolean tanh) {
    if (ElementwiseSupport.zeroPoint(g, n, in) != 0
        || ElementwiseSupport.zeroPoint(g, n, out) != 0) {
      throw ElementwiseSupport.fail(g, n, "int16 input and output need zero points of 0");
    }
    float si = ElementwiseSupport.scale(g, n, in);
    int inputIntegerBits = 3;
    Log2 log2 = checkedLog2(si);
    int leftShift = (15 - inputIntegerBits) + log2.rounded();
    boolean pot = log2.exact() && (leftShift == 0 || (tanh && leftShift == 1));
    int multiplier;
    if (pot) {
      // TFLite stores multiplier 0 and expands it at run time; we expand it here.
      multiplier = 3 << leftShift;
      leftShift = 0;
    } else {
      double m = (double) si * 4096.0 * 3.0;
      leftShift = 0;
      while (m <= 32767.0 / 2.0 && leftShift <= 30) {
        leftShift++;
        m = m * 2.0;
      }
      multiplier = (int) m;
    }
    Log2 outLog2 = checkedLog2(ElementwiseSupport.scale(g, n, out));
    if (!outLog2.exact() || outLog2.rounded() != -15) {
      throw ElementwiseSupport.fail(g, n, "int16 output needs scale 2^-15");
    }
    if (multiplier > 32767) {
      // TFLM only DCHECKs this; larger multipliers could overflow int32 in the run loop.
      throw ElementwiseSupport.fail(g, n, "int16 input scale " + si + " is too large");
    }
    return new Int16Params(multiplier, leftShift);
  }

  /** Result of {@link #checkedLog2}. */
  record Log2(int rounded, boolean exact) {}

  /** TFLite's CheckedLog2: log2 in float via logf, exact within 1e-3. */
  static Log2 checkedLog2(float x) {
    float log2 = (float) StrictMath.log(x) * (1.0f / (float) StrictMath.log(2.0f));
    float rounded = ElementwiseSupport.roundHalfAway(log2);
    float frac = log2 - rounded;
    return new Log2((int) rounded, Math.abs(frac) < 1e-3f);
  }

  /** The rescaled int16 input: |x * multiplier| < 2^15 * 2^15, so int32 holds it. */
  private static int rescaleInt16(Int16Params p, int x) {
    int round = p.rightShift() > 0 ? 1 << (p.rightShift() - 1) : 0;
    return (x * p.multiplier() + round) >> p.rightShift();
  }

  /**
   * reference_integer_ops::Logistic for int16: the table is interpolated with 9 fractional bits
   * of |input|; negative inputs use 1 - sigmoid(|x|). Intermediate values stay below 2^26.
   */
  static int logisticInt16(Int16Params p, int x) {
    int input = rescaleInt16(p, x);
    int abs = Math.abs(input);
    int uh = abs >>> 9;
    int result;
    if (uh >= 255) {
      result = 0x7FFF << 10;
    } else {
      result = interpolateSigmoid(abs, 9);
    }
    result = input >= 0 ? result + (1 << 9) : (1 << (16 + 9)) - result + (1 << 9) - 1;
    return (short) (result >>> 10);
  }

  /**
   * The sigmoid table at {@code abs / 2^fracBits}, linearly interpolated between its entries and
   * scaled by 2^fracBits, as TFLite's int16 logistic (9 bits) and tanh (8 bits) share it.
   */
  private static int interpolateSigmoid(int abs, int fracBits) {
    int index = abs >>> fracBits;
    int ua = ActivationSigmoidTable.at(index);
    int ub = ActivationSigmoidTable.at(index + 1);
    int ut = abs & ((1 << fracBits) - 1);
    return (ua << fracBits) + ut * (ub - ua);
  }

  // ---------------------------------------------------------------- Tanh

  static Kernel tanh(Graph g, Node n, Op.Tanh op) {
    Value in = g.input(n, Op.Tanh.INPUT);
    Value out = g.output(n);
    requireSameDType(g, n, in, out);
    switch (in.dtype()) {
      case FLOAT32 -> {
        return unaryFloat(out, v -> (float) StrictMath.tanh(v));
      }
      case INT8 -> {
        Int8Params p = prepareInt8(g, n, in);
        return unaryInt(out, x -> tanhInt8(p, x));
      }
      case INT16 -> {
        Int16Params p = prepareInt16(g, n, in, out, true);
        return unaryInt(out, x -> tanhInt16(p, x));
      }
      default -> throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }

  /** reference_integer_ops::Tanh for int8: Q0 tanh rounded to 1/128 steps around 0. */
  static int tanhInt8(Int8Params p, int x) {
    int input = x - p.inputZeroPoint();
    if (input <= -p.inputRangeRadius()) {
      return -128;
    }
    if (input >= p.inputRangeRadius()) {
      return 127;
    }
    int inputQ4 = FixedPoint.multiplyByQuantizedMultiplier(input, p.multiplier(), p.shift());
    int outputQ0 = FixedPoint.tanh(inputQ4, INT8_INPUT_INTEGER_BITS);
    int outputQ24 = FixedPoint.roundingDivideByPot(outputQ0, 31 - 7);
    return Math.min(Math.max(outputQ24, -128), 127);
  }

  /**
   * reference_integer_ops::Tanh for int16, using tanh(x) = 2 * sigmoid(2x) - 1 on the same
   * table with 8 fractional interpolation bits. Intermediate values stay below 2^25.
   */
  static int tanhInt16(Int16Params p, int x) {
    int input = rescaleInt16(p, x);
    int abs = Math.abs(input);
    int uh = abs >>> 8;
    int result;
    if (uh >= 255) {
      result = 0xFFFF << 8;
    } else {
      result = interpolateSigmoid(abs, 8);
    }
    result = input >= 0
        ? result - (1 << (14 + 9)) + (1 << (9 - 2))
        : -result + (1 << (14 + 9)) + (1 << (9 - 2)) - 1;
    return (short) (result >> (9 - 1));
  }

  // ---------------------------------------------------------------- LeakyRelu

  static Kernel leakyRelu(Graph g, Node n, Op.LeakyRelu op) {
    Value in = g.input(n, Op.LeakyRelu.INPUT);
    Value out = g.output(n);
    requireSameDType(g, n, in, out);
    switch (in.dtype()) {
      case FLOAT32 -> {
        float alpha = op.alpha();
        // Alpha may be above 1 or negative, so this is not max(v, alpha * v).
        return unaryFloat(out, v -> v > 0 ? v : v * alpha);
      }
      case INT8, INT16 -> {
        LeakyReluRequant p = prepareLeakyRelu(g, n, in, out, op.alpha());
        return unaryInt(out, x -> leakyReluQuantized(p, x));
      }
      default -> throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }

  /** leaky_relu_common.cc, prepared once by {@link LeakyReluRequant}. */
  static LeakyReluRequant prepareLeakyRelu(Graph g, Node n, Value in, Value out, float alpha) {
    return LeakyReluRequant.of(ElementwiseSupport.scale(g, n, in),
        ElementwiseSupport.zeroPoint(g, n, in), ElementwiseSupport.scale(g, n, out),
        ElementwiseSupport.zeroPoint(g, n, out), alpha, (int) out.dtype().min(),
        (int) out.dtype().max());
  }

  /** The integer run step (a named method, so the float-free bytecode check finds it). */
  static int leakyReluQuantized(LeakyReluRequant p, int x) {
    return p.apply(x);
  }

  // ---------------------------------------------------------------- Relu, Relu6

  static Kernel relu(Graph g, Node n, Op.Relu op) {
    Value in = g.input(n, Op.Relu.INPUT);
    Value out = g.output(n);
    requireSameDType(g, n, in, out);
    switch (in.dtype()) {
      case FLOAT32 -> {
        return unaryFloat(out, v -> v < 0.0f ? 0.0f : v);
      }
      case INT8, INT16 -> {
        ReluParams p = prepareRelu(g, n, in, out);
        return unaryInt(out, x -> reluQuantized(p, x));
      }
      default -> throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }

  /**
   * activations_common.cc CalculateReluOpData: requantize by input_scale / output_scale (float
   * division widened to double); the lower bound is the output zero point.
   */
  static ReluParams prepareRelu(Graph g, Node n, Value in, Value out) {
    float si = ElementwiseSupport.scale(g, n, in);
    float so = ElementwiseSupport.scale(g, n, out);
    int zi = ElementwiseSupport.zeroPoint(g, n, in);
    int zo = ElementwiseSupport.zeroPoint(g, n, out);
    if (in.dtype() == DType.INT16 && (zi != 0 || zo != 0)) {
      throw ElementwiseSupport.fail(g, n, "int16 Relu needs zero points of 0");
    }
    // roundf(0.0f / scale) is 0, so the lower bound is just the zero point.
    int min = Math.max((int) out.dtype().min(), zo);
    return new ReluParams(zi, zo, FixedPoint.quantizeMultiplier((double) (si / so)), min,
        (int) out.dtype().max());
  }

  /** micro ReluQuantized: requantize (int32, no overflow for 16-bit inputs), then clamp. */
  static int reluQuantized(ReluParams p, int x) {
    int v = p.outputZeroPoint() + FixedPoint.multiplyByQuantizedMultiplier(
        x - p.inputZeroPoint(), p.rescale().multiplier(), p.rescale().shift());
    return Math.min(p.max(), Math.max(p.min(), v));
  }

  static Kernel relu6(Graph g, Node n, Op.Relu6 op) {
    Value in = g.input(n, Op.Relu6.INPUT);
    Value out = g.output(n);
    requireSameDType(g, n, in, out);
    switch (in.dtype()) {
      case FLOAT32 -> {
        return unaryFloat(out, v -> v > 6.0f ? 6.0f : v < 0.0f ? 0.0f : v);
      }
      case INT8, INT16 -> {
        // activations_common.cc Relu6Prepare: TFLM clamps in the input's quantization and
        // copies, so it requires the output to be quantized like the input; we check that.
        float si = ElementwiseSupport.scale(g, n, in);
        int zi = ElementwiseSupport.zeroPoint(g, n, in);
        if (si != ElementwiseSupport.scale(g, n, out)
            || zi != ElementwiseSupport.zeroPoint(g, n, out)) {
          throw ElementwiseSupport.fail(g, n,
              "quantized Relu6 needs the output quantized like the input (TFLM does not rescale)");
        }
        DType dt = in.dtype();
        // micro_utils FloatToQuantizedType: round(6 / scale) + zero point, clamped to the type.
        int six = (int) Math.max(dt.min(), Math.min(dt.max(),
            (long) ElementwiseSupport.roundHalfAway(6.0f / si) + zi));
        int zero = zi;
        return unaryInt(out, x -> x > six ? six : x < zero ? zero : x);
      }
      default -> throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }

  // ---------------------------------------------------------------- helpers

  private interface IntOp {
    int apply(int x);
  }

  private interface FloatOp {
    float apply(float x);
  }

  private static Kernel unaryInt(Value out, IntOp f) {
    DType dt = out.dtype();
    return in -> {
      int[] x = in[0].ints;
      int[] o = new int[x.length];
      for (int i = 0; i < x.length; i++) {
        o[i] = f.apply(x[i]);
      }
      return Tensor.ofInts(dt, out.shape(), o);
    };
  }

  private static Kernel unaryFloat(Value out, FloatOp f) {
    return in -> {
      float[] x = in[0].floats;
      float[] o = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        o[i] = f.apply(x[i]);
      }
      return Tensor.ofFloats(out.shape(), o);
    };
  }

  private static void requireSameDType(Graph g, Node n, Value in, Value out) {
    if (in.dtype() != out.dtype()) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
  }
}
