package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import io.kiln.quant.ActivationRange;

/**
 * Reference AveragePool2D and MaxPool2D (int8, int16, float32) following TFLite Micro: the window
 * is clipped to the image, so padding never enters a maximum or an average's divisor.
 */
final class PoolKernels {
  private PoolKernels() {}

  private enum Kind { AVERAGE, MAX }

  /** What a pooling run loop reads: the geometry and the clamp (integer or float). */
  private record PoolParams(ConvGeometry geo, ActivationRange range,
      ActivationRange.Floats floatRange) {}

  static Kernel average(Graph g, Node n, Op.AveragePool2D op) {
    PoolParams p = prepare(g, n, op.filterH(), op.filterW(), op.strideH(), op.strideW(),
        op.pads(), op.act());
    return args -> run(Kind.AVERAGE, p, args[Op.AveragePool2D.INPUT]);
  }

  static Kernel max(Graph g, Node n, Op.MaxPool2D op) {
    PoolParams p = prepare(g, n, op.filterH(), op.filterW(), op.strideH(), op.strideW(),
        op.pads(), op.act());
    return args -> run(Kind.MAX, p, args[Op.MaxPool2D.INPUT]);
  }

  private static PoolParams prepare(Graph g, Node n, int fh, int fw, int sh, int sw,
      Op.Pads pads, Op.Activation act) {
    String where = ConvKernels.where(g, n);
    TensorType in = g.input(n, 0).type();
    TensorType out = g.output(n).type();
    ConvGeometry geo = ConvGeometry.of(in.shape(), out.shape(), fh, fw, sh, sw, 1, 1, pads);
    if (in.dtype() != out.dtype()) {
      throw new KilnException(where + ": output is " + out.dtype().shortName() + " but input is "
          + in.dtype().shortName());
    }
    return switch (in.dtype()) {
      case FLOAT32 -> new PoolParams(geo, null, ActivationRange.Floats.of(act, where));
      case INT8, INT16 -> {
        // TFLite Micro pools in the input's integer domain, so it insists on equal quantization.
        float inScale = in.quant().scale();
        float outScale = out.quant().scale();
        double scaleDiff = (double) Math.abs(inScale - outScale);
        if (scaleDiff > 1.0e-6 || in.quant().zeroPoint() != out.quant().zeroPoint()) {
          throw new KilnException(where + ": input and output quantization differ (scale "
              + inScale + " vs " + outScale + ", zero point " + in.quant().zeroPoint() + " vs "
              + out.quant().zeroPoint() + ")");
        }
        yield new PoolParams(geo, ActivationRange.quantized(act, out, where), null);
      }
      default -> throw new KilnException(where + ": the interpreter does not support pooling on "
          + in.dtype().shortName());
    };
  }

  private static Tensor run(Kind kind, PoolParams p, Tensor input) {
    ConvGeometry geo = p.geo();
    Tensor output = Tensor.zeros(input.dtype,
        io.kiln.ir.Shape.of(geo.batches(), geo.outH(), geo.outW(), geo.outC()));
    for (int b = 0; b < geo.batches(); b++) {
      for (int oy = 0; oy < geo.outH(); oy++) {
        for (int ox = 0; ox < geo.outW(); ox++) {
          int inXOrigin = ox * geo.strideW() - geo.padLeft();
          int inYOrigin = oy * geo.strideH() - geo.padTop();
          // The window clipped to the image.
          int fxStart = Math.max(0, -inXOrigin);
          int fxEnd = Math.min(geo.kW(), geo.inW() - inXOrigin);
          int fyStart = Math.max(0, -inYOrigin);
          int fyEnd = Math.min(geo.kH(), geo.inH() - inYOrigin);
          for (int c = 0; c < geo.outC(); c++) {
            int out = geo.outputIndex(b, oy, ox, c);
            if (input.dtype == DType.FLOAT32) {
              output.floats[out] = poolFloat(kind, p, input.floats, b, c, inYOrigin, inXOrigin,
                  fyStart, fyEnd, fxStart, fxEnd);
            } else {
              output.ints[out] = poolInt(kind, p, input, b, c, inYOrigin, inXOrigin, fyStart,
                  fyEnd, fxStart, fxEnd);
            }
          }
        }
      }
    }
    return output;
  }

  private static int poolInt(Kind kind, PoolParams p, Tensor input, int b, int c, int y0, int x0,
      int fyStart, int fyEnd, int fxStart, int fxEnd) {
    ConvGeometry geo = p.geo();
    int[] in = input.ints;
    int count = 0;
    // Average: at most kH * kW int16 values, so the int32 sum cannot overflow for windows below
    // 2^16 elements. Max: starts from the dtype's lowest value, as TFLite does.
    int acc = kind == Kind.MAX ? (int) input.dtype.min() : 0;
    for (int fy = fyStart; fy < fyEnd; fy++) {
      for (int fx = fxStart; fx < fxEnd; fx++) {
        int v = in[geo.inputIndex(b, y0 + fy, x0 + fx, c)];
        acc = kind == Kind.MAX ? Math.max(acc, v) : acc + v;
        count++;
      }
    }
    if (kind == Kind.AVERAGE) {
      if (count == 0) {
        throw new KilnException("AveragePool2D window at an output position covers no input");
      }
      // Integer division truncates toward zero, so adding half the count before dividing rounds
      // to nearest with ties away from zero (the sign decides which way to add).
      acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    }
    return p.range().clamp(acc);
  }

  private static float poolFloat(Kind kind, PoolParams p, float[] in, int b, int c, int y0,
      int x0, int fyStart, int fyEnd, int fxStart, int fxEnd) {
    ConvGeometry geo = p.geo();
    float acc = kind == Kind.MAX ? -Float.MAX_VALUE : 0f;
    float count = 0;
    for (int fy = fyStart; fy < fyEnd; fy++) {
      for (int fx = fxStart; fx < fxEnd; fx++) {
        float v = in[geo.inputIndex(b, y0 + fy, x0 + fx, c)];
        acc = kind == Kind.MAX ? Math.max(acc, v) : acc + v;
        count++;
      }
    }
    if (kind == Kind.AVERAGE) {
      if (count == 0) {
        throw new KilnException("AveragePool2D window at an output position covers no input");
      }
      acc = acc / count;
    }
    return p.floatRange().clamp(acc);
  }
}
