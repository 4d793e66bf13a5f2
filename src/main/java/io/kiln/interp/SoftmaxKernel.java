package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import io.kiln.quant.SoftmaxParams;

/**
 * Softmax over the last axis, following TFLite Micro's softmax_common.cc and reference/softmax.h:
 * int8 input uses gemmlowp's fixed-point exp and reciprocal, int16 uses two interpolated lookup
 * tables built at prepare time, float32 uses expf.
 */
final class SoftmaxKernel {
  private SoftmaxKernel() {}

  /** Integer bits of the rescaled input difference fed to exp (Q5.26). */
  static final int SCALED_DIFF_INTEGER_BITS = SoftmaxParams.SCALED_DIFF_INTEGER_BITS;
  /** Integer bits of the running sum of exps (Q12.19). */
  static final int ACCUMULATION_INTEGER_BITS = 12;

  /** Prepared int8-input softmax: input scale times beta as a Q26 multiplier, and the cutoff. */
  record Int8Params(QuantizedMultiplier inputBeta, int diffMin, int outputMin, int outputMax,
      int outputBits) {}

  /** Prepared int16 softmax: input rescale multiplier and the exp and 1/(1+x) tables. */
  record Int16Params(QuantizedMultiplier input, short[] expLut, short[] oneOverOnePlusXLut) {}

  static Kernel prepare(Graph g, Node n, Op.Softmax op) {
    Value in = g.input(n, Op.Softmax.INPUT);
    Value out = g.output(n);
    if (in.shape().rank() < 1) {
      throw ElementwiseSupport.fail(g, n, "input must have at least one dimension");
    }
    int depth = in.shape().dim(-1);
    DType id = in.dtype();
    DType od = out.dtype();
    if (id == DType.FLOAT32 && od == DType.FLOAT32) {
      float beta = op.beta();
      return inputs -> Tensor.ofFloats(out.shape(), softmaxFloat(inputs[0].floats, depth, beta));
    }
    if (id == DType.INT8 && (od == DType.INT8 || od == DType.INT16)) {
      Int8Params p = prepareInt8(g, n, in, out, op.beta());
      return inputs -> Tensor.ofInts(od, out.shape(), softmaxInt8(p, inputs[0].ints, depth));
    }
    if (id == DType.INT16 && od == DType.INT16) {
      Int16Params p = prepareInt16(g, n, in, out, op.beta());
      return inputs -> Tensor.ofInts(od, out.shape(), softmaxInt16(p, inputs[0].ints, depth));
    }
    throw ElementwiseSupport.unsupportedTypes(g, n);
  }

  /** softmax_common.cc for int8 input: TFLM pins the output quantization exactly. */
  static Int8Params prepareInt8(Graph g, Node n, Value in, Value out, float beta) {
    float so = ElementwiseSupport.scale(g, n, out);
    int zo = ElementwiseSupport.zeroPoint(g, n, out);
    if (out.dtype() == DType.INT16) {
      if (zo != -32768 || Math.abs(so - 1f / 65536) > 0.001f * 1f / 65536) {
        throw ElementwiseSupport.fail(g, n,
            "int16 output of an int8 softmax needs scale 1/65536 and zero point -32768");
      }
    } else if (zo != -128 || so != 1f / 256) {
      throw ElementwiseSupport.fail(g, n, "int8 softmax output needs scale 1/256 and zero point"
          + " -128, has " + so + " and " + zo);
    }
    SoftmaxParams sp = SoftmaxParams.int8(beta, in.type(), ConvKernels.where(g, n));
    DType od = out.dtype();
    return new Int8Params(sp.inputBeta(), sp.diffMin(), (int) od.min(), (int) od.max(),
        od.bytes() * 8);
  }

  /**
   * reference_ops::Softmax for int8 input. Invariants: input differences are in [-255, 0] and
   * those below diffMin are dropped, so the rescaled difference fits Q5.26 without wrapping; the
   * sum of at most 2^19 exps (each at most 1.0, rescaled to Q12) stays below 2^12 as a Q12.
   */
  static int[] softmaxInt8(Int8Params p, int[] x, int depth) {
    int[] o = new int[x.length];
    int outer = depth == 0 ? 0 : x.length / depth;
    int exponentBase = 31 - p.outputBits();
    for (int r = 0; r < outer; r++) {
      int base = r * depth;
      int max = Integer.MIN_VALUE;
      for (int c = 0; c < depth; c++) {
        max = Math.max(max, x[base + c]);
      }
      int sumOfExps = 0;
      for (int c = 0; c < depth; c++) {
        int diff = x[base + c] - max;
        if (diff >= p.diffMin()) {
          sumOfExps += FixedPoint.rescale(expOfDiff(p, diff), 0, ACCUMULATION_INTEGER_BITS);
        }
      }
      FixedPoint.Reciprocal recip = FixedPoint.reciprocal(sumOfExps, ACCUMULATION_INTEGER_BITS);
      int exponent = recip.numBitsOverUnit() + exponentBase;
      if (exponent < 0 || exponent > 31) {
        throw new IllegalStateException("softmax exponent " + exponent + " outside [0, 31]");
      }
      for (int c = 0; c < depth; c++) {
        int diff = x[base + c] - max;
        if (diff >= p.diffMin()) {
          int unsat = FixedPoint.roundingDivideByPot(
              FixedPoint.saturatingRoundingDoublingHighMul(recip.raw(), expOfDiff(p, diff)),
              exponent);
          o[base + c] = Math.max(Math.min(unsat + p.outputMin(), p.outputMax()), p.outputMin());
        } else {
          o[base + c] = p.outputMin();
        }
      }
    }
    return o;
  }

  /** exp(beta * scale * diff) as Q0, for a non-positive quantized difference. */
  private static int expOfDiff(Int8Params p, int diff) {
    int rescaled = FixedPoint.multiplyByQuantizedMultiplierGreaterThanOne(diff,
        p.inputBeta().multiplier(), p.inputBeta().shift());
    return FixedPoint.expOnNegativeValues(rescaled, SCALED_DIFF_INTEGER_BITS);
  }

  /** softmax_common.cc for int16: symmetric input/output, output scale 1/32768, and the LUTs. */
  static Int16Params prepareInt16(Graph g, Node n, Value in, Value out, float beta) {
    float si = ElementwiseSupport.scale(g, n, in);
    float so = ElementwiseSupport.scale(g, n, out);
    if (ElementwiseSupport.zeroPoint(g, n, in) != 0
        || ElementwiseSupport.zeroPoint(g, n, out) != 0) {
      throw ElementwiseSupport.fail(g, n, "int16 softmax needs zero points of 0");
    }
    if (Math.abs(so - 1f / 32768) > 0.001f * 1f / 32768) {
      throw ElementwiseSupport.fail(g, n, "int16 softmax output needs scale 1/32768, has " + so);
    }
    // Exp is tabulated on [-10, 0]; exp(-10) is negligible in the sum.
    int range = 32767 - (-32768);
    short[] expLut = lutInt16(10.0f / range, 32767, 2.0f / range, 0,
        v -> (float) StrictMath.exp(v));
    short[] recipLut = lutInt16(1.0f / range, -32768, 2.0f / range, 0, v -> 1.0f / (1.0f + v));
    // Scale the input difference so that [-65535, 0] covers [-10, 0].
    double rescale = (double) si * (double) beta / (10.0 / 65535.0);
    return new Int16Params(FixedPoint.quantizeMultiplier(rescale), expLut, recipLut);
  }

  /**
   * reference_ops::SoftmaxInt16. Invariants: each exp is a Q0.15 value in [0, 32767], so the sum
   * of a row below 2^16 elements fits int32; the product of an exp and the Q0.15 reciprocal is
   * computed in int64.
   */
  static int[] softmaxInt16(Int16Params p, int[] x, int depth) {
    int[] o = new int[x.length];
    int outer = depth == 0 ? 0 : x.length / depth;
    int[] exps = new int[depth];
    for (int r = 0; r < outer; r++) {
      int base = r * depth;
      int max = Short.MIN_VALUE;
      for (int c = 0; c < depth; c++) {
        max = Math.max(max, x[base + c]);
      }
      int sumOfExps = 0;
      for (int c = 0; c < depth; c++) {
        int diff = x[base + c] - max;
        int scaled = FixedPoint.multiplyByQuantizedMultiplier(diff, p.input().multiplier(),
            p.input().shift());
        // Recentre [-65535, 0] onto the table's symmetric int16 domain.
        int sym = Math.min(Math.max(scaled + 32767, -32768), 32767);
        exps[c] = lutLookup(sym, p.expLut());
        sumOfExps += exps[c];
      }
      int headroomPlusOne = Integer.numberOfLeadingZeros(sumOfExps);
      int shiftedSum =
          (int) ((((long) sumOfExps << (headroomPlusOne - 1)) + (1 << 13)) >> 14);
      // The table computes 1/(1+x), so feed it sum - 1, recentred from [0, 65535].
      int symShiftedSum = shiftedSum + (-((1 << 15) + (1 << 16)));
      int sat = Math.min(Math.max(symShiftedSum, -32768), 32767);
      int reciprocal = lutLookup(sat, p.oneOverOnePlusXLut());
      int rightShift = 31 - headroomPlusOne;
      long round = rightShift > 0 ? 1L << (rightShift - 1) : 0;
      for (int c = 0; c < depth; c++) {
        int result = (int) (((long) exps[c] * (long) reciprocal + round) >> rightShift);
        o[base + c] = Math.min(Math.max(result, 0), 32767);
      }
    }
    return o;
  }

  /** float -> float transform tabulated by {@link #lutInt16}. */
  @FunctionalInterface
  interface FloatFunction {
    float apply(float v);
  }

  /**
   * TFLite's LUTPopulateInt16 with float arithmetic: 512 intervals over the input range, each
   * sample biased by half the interpolation error at its midpoint, plus one final sample.
   */
  static short[] lutInt16(float inputScale, int inputZeroPoint, float outputScale,
      int outputZeroPoint, FloatFunction f) {
    float inputMin = inputScale * (float) (-32768 - inputZeroPoint);
    float inputMax = inputScale * (float) (32767 - inputZeroPoint);
    float outputMin = outputScale * (float) (-32768 - outputZeroPoint);
    float outputMax = outputScale * (float) (32767 - outputZeroPoint);
    int steps = 512;
    float step = (inputMax - inputMin) / steps;
    float halfStep = step / 2;
    float outputScalingInv = 65536f / (outputMax - outputMin);
    short[] lut = new short[steps + 1];
    for (int i = 0; i < steps; i++) {
      float val = f.apply(inputMin + i * step);
      float valMidpoint = f.apply(inputMin + i * step + halfStep);
      float valNext = f.apply(inputMin + (i + 1) * step);
      float sample = round(val * outputScalingInv);
      float midpointInterp = round((valNext * outputScalingInv
          + round(val * outputScalingInv)) / 2);
      float midpoint = round(valMidpoint * outputScalingInv);
      float midpointErr = midpointInterp - midpoint;
      float bias = round(midpointErr / 2);
      lut[i] = (short) Math.min(Math.max(sample - bias, -32768f), 32767f);
    }
    lut[steps] = (short) Math.min(Math.max(round(f.apply(inputMax) * outputScalingInv),
        -32768f), 32767f);
    return lut;
  }

  private static float round(float v) {
    return ElementwiseSupport.roundHalfAway(v);
  }

  /**
   * TFLite's int16 LUTLookup: the high 9 bits pick an interval, the low 7 bits interpolate
   * linearly with rounding. The slope is stored as int16, exactly as in TFLite.
   */
  static int lutLookup(int value, short[] lut) {
    int index = 256 + (value >> 7);
    int offset = value & 0x7f;
    int base = lut[index];
    int slope = (short) (lut[index + 1] - lut[index]);
    int delta = (slope * offset + 64) >> 7;
    return (short) (base + delta);
  }

  /** reference_ops::Softmax for float: expf of (x - max) * beta, normalised in float. */
  static float[] softmaxFloat(float[] x, int depth, float beta) {
    float[] o = new float[x.length];
    int outer = depth == 0 ? 0 : x.length / depth;
    for (int r = 0; r < outer; r++) {
      int base = r * depth;
      float max = -Float.MAX_VALUE;
      for (int c = 0; c < depth; c++) {
        max = Math.max(max, x[base + c]);
      }
      float sum = 0f;
      for (int c = 0; c < depth; c++) {
        float e = (float) StrictMath.exp((x[base + c] - max) * beta);
        o[base + c] = e;
        sum += e;
      }
      for (int c = 0; c < depth; c++) {
        o[base + c] = o[base + c] / sum;
      }
    }
    return o;
  }
}
