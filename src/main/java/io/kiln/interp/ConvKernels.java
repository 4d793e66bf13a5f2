package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.ConvRequant;
import java.util.Arrays;

/**
 * Reference kernels for Conv2D, DepthwiseConv2D and TransposeConv: int8, 16x8 (int16 activations,
 * int8 weights) and float32, following TFLite Micro's reference kernels loop for loop so the
 * results are bit-exact.
 *
 * <p>Accumulators are summed in a {@code long}. For TFLite's 32-bit accumulators the low 32 bits
 * of that sum are exactly TFLite's wrapping int32 sum, and {@link ConvQuantParams#requantize}
 * keeps just those; for 64-bit (16x8) accumulators the long is the accumulator itself.
 */
final class ConvKernels {
  private ConvKernels() {}

  /** Which arithmetic a weighted operator runs in, decided by its dtypes at prepare time. */
  enum Precision {
    FLOAT,
    /** int8, or 16x8 with an int32 bias: TFLite accumulates in int32. */
    ACC32,
    /** 16x8 with an int64 (or absent) bias: TFLite accumulates in int64. */
    ACC64
  }

  static Kernel conv2d(Graph g, Node n, Op.Conv2D op) {
    String where = where(g, n);
    TensorType in = g.input(n, Op.Conv2D.INPUT).type();
    TensorType w = g.input(n, Op.Conv2D.FILTER).type();
    TensorType bias = n.hasInput(Op.Conv2D.BIAS) ? g.input(n, Op.Conv2D.BIAS).type() : null;
    TensorType out = g.output(n).type();
    Shape f = w.shape();
    ConvGeometry geo = ConvGeometry.of(in.shape(), out.shape(), f.dim(1), f.dim(2), op.strideH(),
        op.strideW(), op.dilationH(), op.dilationW(), op.pads());
    int filterDepth = f.dim(3);
    if (filterDepth == 0 || geo.inC() % filterDepth != 0
        || geo.outC() % (geo.inC() / filterDepth) != 0) {
      throw new KilnException(where + ": filter " + f + " does not divide input " + in.shape()
          + " into groups");
    }
    int filtersPerGroup = geo.outC() / (geo.inC() / filterDepth);
    Precision p = precision(where, in, w, bias, out, true);
    if (p == Precision.FLOAT) {
      ActivationRange.Floats range = ActivationRange.Floats.of(op.act(), where);
      return args -> convFloat(geo, filterDepth, filtersPerGroup, range, args);
    }
    ConvQuantParams q = quantParams(where, in, w, out, geo.outC(), op.act(), p);
    if (w.encoding() instanceof io.kiln.ir.Encoding.NM nm && p == Precision.ACC32
        && filterDepth == geo.inC()) {
      return args -> SparseKernels.conv(geo, nm, q, args);
    }
    return args -> convInt(geo, filterDepth, filtersPerGroup, q, args);
  }

  static Kernel depthwise(Graph g, Node n, Op.DepthwiseConv2D op) {
    String where = where(g, n);
    TensorType in = g.input(n, Op.DepthwiseConv2D.INPUT).type();
    TensorType w = g.input(n, Op.DepthwiseConv2D.FILTER).type();
    TensorType bias = n.hasInput(Op.DepthwiseConv2D.BIAS)
        ? g.input(n, Op.DepthwiseConv2D.BIAS).type() : null;
    TensorType out = g.output(n).type();
    Shape f = w.shape();
    ConvGeometry geo = ConvGeometry.of(in.shape(), out.shape(), f.dim(1), f.dim(2), op.strideH(),
        op.strideW(), op.dilationH(), op.dilationW(), op.pads());
    int multiplier = op.depthMultiplier();
    if (multiplier <= 0 || geo.outC() != geo.inC() * multiplier) {
      throw new KilnException(where + ": " + geo.outC() + " output channels are not " + geo.inC()
          + " input channels times depth multiplier " + multiplier);
    }
    // TFLite Micro's 16x8 depthwise kernel reads the bias as int64 only.
    Precision p = precision(where, in, w, bias, out, false);
    if (p == Precision.FLOAT) {
      ActivationRange.Floats range = ActivationRange.Floats.of(op.act(), where);
      return args -> depthwiseFloat(geo, multiplier, range, args);
    }
    ConvQuantParams q = quantParams(where, in, w, out, geo.outC(), op.act(), p);
    return args -> depthwiseInt(geo, multiplier, q, args);
  }

  static Kernel transposeConv(Graph g, Node n, Op.TransposeConv op) {
    String where = where(g, n);
    TensorType in = g.input(n, Op.TransposeConv.INPUT).type();
    TensorType w = g.input(n, Op.TransposeConv.FILTER).type();
    TensorType bias = n.hasInput(Op.TransposeConv.BIAS)
        ? g.input(n, Op.TransposeConv.BIAS).type() : null;
    TensorType out = g.output(n).type();
    Shape f = w.shape();
    // The window slides over the output: "input" of the geometry is the small tensor.
    ConvGeometry geo = ConvGeometry.of(in.shape(), out.shape(), f.dim(1), f.dim(2), op.strideH(),
        op.strideW(), 1, 1, op.pads());
    Precision p;
    if (in.dtype() == DType.INT16 && bias != null && bias.dtype() == DType.INT16) {
      // TFLite Micro widens an int16 bias to int64 and runs the int64 kernel.
      p = precision(where, in, w, null, out, false);
    } else {
      // TFLite Micro's 16x8 transpose conv always accumulates in int64 and reads int64 bias.
      p = precision(where, in, w, bias, out, false);
    }
    int[] runtimeShape = out.shape().dims();
    if (p == Precision.FLOAT) {
      ActivationRange.Floats range = ActivationRange.Floats.of(op.act(), where);
      return args -> {
        checkOutputShape(where, runtimeShape, arg(args, Op.TransposeConv.OUTPUT_SHAPE));
        return transposeConvFloat(geo, range, args);
      };
    }
    ConvQuantParams q = quantParams(where, in, w, out, geo.outC(), op.act(), p);
    return args -> {
      checkOutputShape(where, runtimeShape, arg(args, Op.TransposeConv.OUTPUT_SHAPE));
      return transposeConvInt(geo, q, args);
    };
  }

  // ---- int8 / 16x8 run loops -------------------------------------------------------------

  private static Tensor convInt(ConvGeometry geo, int filterDepth, int filtersPerGroup,
      ConvQuantParams q, Tensor[] args) {
    int[] input = args[Op.Conv2D.INPUT].ints;
    int[] filter = args[Op.Conv2D.FILTER].ints;
    Tensor bias = arg(args, Op.Conv2D.BIAS);
    Tensor output = Tensor.zeros(args[Op.Conv2D.INPUT].dtype, outShape(geo));
    for (int b = 0; b < geo.batches(); b++) {
      for (int oy = 0; oy < geo.outH(); oy++) {
        int inYOrigin = oy * geo.strideH() - geo.padTop();
        for (int ox = 0; ox < geo.outW(); ox++) {
          int inXOrigin = ox * geo.strideW() - geo.padLeft();
          for (int oc = 0; oc < geo.outC(); oc++) {
            int group = oc / filtersPerGroup;
            // int8: each term is at most 127 * 255 < 2^15 in magnitude, so TFLite's int32 sum is
            // exact up to 2^16 terms; 16x8: each term is below 2^22 and the int64 sum stays far
            // below the 2^47 the 64-bit requantization accepts.
            long acc = 0;
            for (int fy = 0; fy < geo.kH(); fy++) {
              int iy = inYOrigin + geo.dilationH() * fy;
              for (int fx = 0; fx < geo.kW(); fx++) {
                int ix = inXOrigin + geo.dilationW() * fx;
                // Padding contributes nothing: points outside the image are skipped.
                if (!geo.insideInput(iy, ix)) {
                  continue;
                }
                int inBase = geo.inputIndex(b, iy, ix, group * filterDepth);
                int fBase = ((oc * geo.kH() + fy) * geo.kW() + fx) * filterDepth;
                for (int ic = 0; ic < filterDepth; ic++) {
                  acc += filter[fBase + ic] * (input[inBase + ic] + q.inputOffset());
                }
              }
            }
            if (bias != null) {
              acc += biasAt(bias, oc);
            }
            output.ints[geo.outputIndex(b, oy, ox, oc)] = q.requantize(acc, oc);
          }
        }
      }
    }
    return output;
  }

  private static Tensor depthwiseInt(ConvGeometry geo, int multiplier, ConvQuantParams q,
      Tensor[] args) {
    int[] input = args[Op.DepthwiseConv2D.INPUT].ints;
    int[] filter = args[Op.DepthwiseConv2D.FILTER].ints;
    Tensor bias = arg(args, Op.DepthwiseConv2D.BIAS);
    Tensor output = Tensor.zeros(args[Op.DepthwiseConv2D.INPUT].dtype, outShape(geo));
    for (int b = 0; b < geo.batches(); b++) {
      for (int oy = 0; oy < geo.outH(); oy++) {
        for (int ox = 0; ox < geo.outW(); ox++) {
          for (int ic = 0; ic < geo.inC(); ic++) {
            for (int m = 0; m < multiplier; m++) {
              int oc = m + ic * multiplier;
              int inXOrigin = ox * geo.strideW() - geo.padLeft();
              int inYOrigin = oy * geo.strideH() - geo.padTop();
              // At most kH * kW terms, each below 2^15 (int8) or 2^22 (16x8): no overflow.
              long acc = 0;
              for (int fy = 0; fy < geo.kH(); fy++) {
                for (int fx = 0; fx < geo.kW(); fx++) {
                  int ix = inXOrigin + geo.dilationW() * fx;
                  int iy = inYOrigin + geo.dilationH() * fy;
                  if (geo.insideInput(iy, ix)) {
                    int inputVal = input[geo.inputIndex(b, iy, ix, ic)];
                    int filterVal = filter[(fy * geo.kW() + fx) * geo.outC() + oc];
                    acc += filterVal * (inputVal + q.inputOffset());
                  }
                }
              }
              if (bias != null) {
                acc += biasAt(bias, oc);
              }
              output.ints[geo.outputIndex(b, oy, ox, oc)] = q.requantize(acc, oc);
            }
          }
        }
      }
    }
    return output;
  }

  private static Tensor transposeConvInt(ConvGeometry geo, ConvQuantParams q, Tensor[] args) {
    int[] input = args[Op.TransposeConv.INPUT].ints;
    int[] filter = args[Op.TransposeConv.FILTER].ints;
    Tensor bias = arg(args, Op.TransposeConv.BIAS);
    Shape outShape = outShape(geo);
    // TFLite's scratch buffer: int32 for int8 (the long's low 32 bits match it), int64 for 16x8.
    long[] scratch = new long[outShape.elements()];
    for (int b = 0; b < geo.batches(); b++) {
      for (int iy = 0; iy < geo.inH(); iy++) {
        for (int ix = 0; ix < geo.inW(); ix++) {
          for (int ic = 0; ic < geo.inC(); ic++) {
            int outXOrigin = ix * geo.strideW() - geo.padLeft();
            int outYOrigin = iy * geo.strideH() - geo.padTop();
            int inputVal = input[geo.inputIndex(b, iy, ix, ic)];
            for (int fy = 0; fy < geo.kH(); fy++) {
              for (int fx = 0; fx < geo.kW(); fx++) {
                for (int oc = 0; oc < geo.outC(); oc++) {
                  int ox = outXOrigin + fx;
                  int oy = outYOrigin + fy;
                  if (ox >= 0 && ox < geo.outW() && oy >= 0 && oy < geo.outH()) {
                    int filterVal = filter[((oc * geo.kH() + fy) * geo.kW() + fx) * geo.inC() + ic];
                    scratch[geo.outputIndex(b, oy, ox, oc)] +=
                        (inputVal + q.inputOffset()) * filterVal;
                  }
                }
              }
            }
          }
        }
      }
    }
    Tensor output = Tensor.zeros(args[Op.TransposeConv.INPUT].dtype, outShape);
    for (int b = 0; b < geo.batches(); b++) {
      for (int oy = 0; oy < geo.outH(); oy++) {
        for (int ox = 0; ox < geo.outW(); ox++) {
          for (int oc = 0; oc < geo.outC(); oc++) {
            int idx = geo.outputIndex(b, oy, ox, oc);
            long acc = scratch[idx];
            if (bias != null) {
              acc += biasAt(bias, oc);
            }
            output.ints[idx] = q.requantize(acc, oc);
          }
        }
      }
    }
    return output;
  }

  // ---- float32 run loops: sums in float, in TFLite's order ---------------------------------

  private static Tensor convFloat(ConvGeometry geo, int filterDepth, int filtersPerGroup,
      ActivationRange.Floats range, Tensor[] args) {
    float[] input = args[Op.Conv2D.INPUT].floats;
    float[] filter = args[Op.Conv2D.FILTER].floats;
    Tensor bias = arg(args, Op.Conv2D.BIAS);
    Tensor output = Tensor.zeros(DType.FLOAT32, outShape(geo));
    for (int b = 0; b < geo.batches(); b++) {
      for (int oy = 0; oy < geo.outH(); oy++) {
        int inYOrigin = oy * geo.strideH() - geo.padTop();
        for (int ox = 0; ox < geo.outW(); ox++) {
          int inXOrigin = ox * geo.strideW() - geo.padLeft();
          for (int oc = 0; oc < geo.outC(); oc++) {
            int group = oc / filtersPerGroup;
            float total = 0f;
            for (int fy = 0; fy < geo.kH(); fy++) {
              int iy = inYOrigin + geo.dilationH() * fy;
              for (int fx = 0; fx < geo.kW(); fx++) {
                int ix = inXOrigin + geo.dilationW() * fx;
                if (!geo.insideInput(iy, ix)) {
                  continue;
                }
                int inBase = geo.inputIndex(b, iy, ix, group * filterDepth);
                int fBase = ((oc * geo.kH() + fy) * geo.kW() + fx) * filterDepth;
                for (int ic = 0; ic < filterDepth; ic++) {
                  total += input[inBase + ic] * filter[fBase + ic];
                }
              }
            }
            float biasValue = bias != null ? bias.floats[oc] : 0f;
            output.floats[geo.outputIndex(b, oy, ox, oc)] = range.clamp(total + biasValue);
          }
        }
      }
    }
    return output;
  }

  private static Tensor depthwiseFloat(ConvGeometry geo, int multiplier,
      ActivationRange.Floats range, Tensor[] args) {
    float[] input = args[Op.DepthwiseConv2D.INPUT].floats;
    float[] filter = args[Op.DepthwiseConv2D.FILTER].floats;
    Tensor bias = arg(args, Op.DepthwiseConv2D.BIAS);
    Tensor output = Tensor.zeros(DType.FLOAT32, outShape(geo));
    for (int b = 0; b < geo.batches(); b++) {
      for (int oy = 0; oy < geo.outH(); oy++) {
        for (int ox = 0; ox < geo.outW(); ox++) {
          for (int ic = 0; ic < geo.inC(); ic++) {
            for (int m = 0; m < multiplier; m++) {
              int oc = m + ic * multiplier;
              int inXOrigin = ox * geo.strideW() - geo.padLeft();
              int inYOrigin = oy * geo.strideH() - geo.padTop();
              float total = 0f;
              for (int fy = 0; fy < geo.kH(); fy++) {
                for (int fx = 0; fx < geo.kW(); fx++) {
                  int ix = inXOrigin + geo.dilationW() * fx;
                  int iy = inYOrigin + geo.dilationH() * fy;
                  if (geo.insideInput(iy, ix)) {
                    total += input[geo.inputIndex(b, iy, ix, ic)]
                        * filter[(fy * geo.kW() + fx) * geo.outC() + oc];
                  }
                }
              }
              float biasValue = bias != null ? bias.floats[oc] : 0f;
              output.floats[geo.outputIndex(b, oy, ox, oc)] = range.clamp(total + biasValue);
            }
          }
        }
      }
    }
    return output;
  }

  private static Tensor transposeConvFloat(ConvGeometry geo, ActivationRange.Floats range,
      Tensor[] args) {
    float[] input = args[Op.TransposeConv.INPUT].floats;
    float[] filter = args[Op.TransposeConv.FILTER].floats;
    Tensor bias = arg(args, Op.TransposeConv.BIAS);
    Tensor output = Tensor.zeros(DType.FLOAT32, outShape(geo));
    float[] acc = output.floats;
    for (int b = 0; b < geo.batches(); b++) {
      for (int iy = 0; iy < geo.inH(); iy++) {
        for (int ix = 0; ix < geo.inW(); ix++) {
          for (int ic = 0; ic < geo.inC(); ic++) {
            int outXOrigin = ix * geo.strideW() - geo.padLeft();
            int outYOrigin = iy * geo.strideH() - geo.padTop();
            for (int fy = 0; fy < geo.kH(); fy++) {
              for (int fx = 0; fx < geo.kW(); fx++) {
                for (int oc = 0; oc < geo.outC(); oc++) {
                  int ox = outXOrigin + fx;
                  int oy = outYOrigin + fy;
                  if (ox >= 0 && ox < geo.outW() && oy >= 0 && oy < geo.outH()) {
                    acc[geo.outputIndex(b, oy, ox, oc)] += input[geo.inputIndex(b, iy, ix, ic)]
                        * filter[((oc * geo.kH() + fy) * geo.kW() + fx) * geo.inC() + ic];
                  }
                }
              }
            }
          }
        }
      }
    }
    for (int i = 0; i < acc.length; i++) {
      float value = acc[i];
      if (bias != null) {
        value += bias.floats[i % geo.outC()];
      }
      acc[i] = range.clamp(value);
    }
    return output;
  }

  // ---- prepare-time helpers shared with FullyConnectedKernel --------------------------------

  /**
   * Checks the dtype combination against what TFLite Micro's kernels accept and picks the
   * arithmetic. {@code int32BiasFor16x8} says whether the operator has TFLite's int32-accumulator
   * variant of the 16x8 kernel (conv and fully connected do; depthwise and transpose conv don't).
   */
  static Precision precision(String where, TensorType in, TensorType w, TensorType bias,
      TensorType out, boolean int32BiasFor16x8) {
    DType a = in.dtype();
    if (out.dtype() != a) {
      throw new KilnException(where + ": output is " + out.dtype().shortName() + " but input is "
          + a.shortName());
    }
    DType b = bias == null ? null : bias.dtype();
    switch (a) {
      case FLOAT32 -> {
        if (w.dtype() != DType.FLOAT32) {
          throw new KilnException(where + ": the interpreter does not support hybrid "
              + "f32 activations with " + w.dtype().shortName() + " weights (nor does TFLite"
              + " Micro); dequantize the weights first");
        }
        requireBias(where, b, DType.FLOAT32);
        return Precision.FLOAT;
      }
      case INT8 -> {
        requireWeights(where, a, w, DType.INT8);
        requireBias(where, b, DType.INT32);
        return Precision.ACC32;
      }
      case INT16 -> {
        requireWeights(where, a, w, DType.INT8);
        if (b == DType.INT32 && int32BiasFor16x8) {
          return Precision.ACC32;
        }
        requireBias(where, b, DType.INT64);
        return Precision.ACC64;
      }
      default -> throw new KilnException(where + ": the interpreter does not support "
          + a.shortName() + " activations for this operator");
    }
  }

  static ConvQuantParams quantParams(String where, TensorType in, TensorType w, TensorType out,
      int channels, Op.Activation act, Precision p) {
    ConvQuantParams.requireSymmetricWeights(where, w, channels);
    return ConvQuantParams.of(where, in, out, ConvRequant.convolution(in, w, out, channels, where),
        act, p == Precision.ACC64);
  }

  private static void requireWeights(String where, DType a, TensorType w, DType expected) {
    if (w.dtype() != expected) {
      throw new KilnException(where + ": the interpreter does not support " + a.shortName()
          + " activations with " + w.dtype().shortName() + " weights");
    }
  }

  private static void requireBias(String where, DType actual, DType expected) {
    if (actual != null && actual != expected) {
      throw new KilnException(where + ": the interpreter does not support a "
          + actual.shortName() + " bias here (expected " + expected.shortName() + ")");
    }
  }

  static String where(Graph g, Node n) {
    return n.op().opName() + " '" + g.output(n).name() + "'";
  }

  /** The tensor in an optional input slot, or null when the slot is absent. */
  static Tensor arg(Tensor[] args, int slot) {
    return slot < args.length ? args[slot] : null;
  }

  /** Bias of channel {@code c}, whatever integer width it is stored in. */
  static long biasAt(Tensor bias, int c) {
    return bias.longs != null ? bias.longs[c] : bias.ints[c];
  }

  static Shape outShape(ConvGeometry geo) {
    return Shape.of(geo.batches(), geo.outH(), geo.outW(), geo.outC());
  }

  private static void checkOutputShape(String where, int[] expected, Tensor runtime) {
    if (runtime == null) {
      return;
    }
    int[] got = runtime.ints != null ? runtime.ints
        : Arrays.stream(runtime.longs).mapToInt(Math::toIntExact).toArray();
    if (!Arrays.equals(expected, got)) {
      throw new KilnException(where + ": runtime output shape " + Arrays.toString(got)
          + " differs from the static " + Arrays.toString(expected));
    }
  }
}
