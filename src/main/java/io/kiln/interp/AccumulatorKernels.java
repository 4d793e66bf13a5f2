package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.Value;
import java.util.Arrays;

/**
 * MatMul (float, and integer to raw int32 accumulators) and Conv2D producing raw int32
 * accumulators: the integer halves of ONNX's MatMulInteger/ConvInteger/QLinearMatMul/QLinearConv,
 * whose requantization, if any, is a separate Quantize node with an explicit scheme.
 */
final class AccumulatorKernels {
  private AccumulatorKernels() {}

  /** Batched matmul geometry: per output batch, the batch index of each operand. */
  private record MatMulGeometry(int m, int k, int n, int[] lhsBatch, int[] rhsBatch) {}

  static Kernel matmul(Graph g, Node n, Op.MatMul op) {
    Value a = g.input(n, Op.MatMul.LHS);
    Value b = g.input(n, Op.MatMul.RHS);
    Value out = g.output(n);
    MatMulGeometry geo = geometry(a.shape(), b.shape());
    if (a.dtype() == DType.FLOAT32 && b.dtype() == DType.FLOAT32
        && out.dtype() == DType.FLOAT32) {
      return inputs -> {
        float[] x = inputs[0].floats;
        float[] y = inputs[1].floats;
        float[] o = new float[out.shape().elements()];
        int batches = geo.lhsBatch().length;
        for (int bt = 0; bt < batches; bt++) {
          int xo = geo.lhsBatch()[bt] * geo.m() * geo.k();
          int yo = geo.rhsBatch()[bt] * geo.k() * geo.n();
          for (int i = 0; i < geo.m(); i++) {
            for (int j = 0; j < geo.n(); j++) {
              // Summed in double: closer to the exact dot product than any float order.
              double acc = 0;
              for (int p = 0; p < geo.k(); p++) {
                acc += (double) x[xo + i * geo.k() + p] * y[yo + p * geo.n() + j];
              }
              o[(bt * geo.m() + i) * geo.n() + j] = (float) acc;
            }
          }
        }
        return Tensor.ofFloats(out.shape(), o);
      };
    }
    if (!isByte(a.dtype()) || !isByte(b.dtype()) || out.dtype() != DType.INT32) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    int aZp = Math.toIntExact(a.quant().zeroPoint());
    // The rhs zero point may be per column (ONNX allows a [N] zero point for MatMulInteger).
    int[] bZp = zeroPoints(g, n, b, geo.n());
    return inputs -> {
      int[] x = inputs[0].ints;
      int[] y = inputs[1].ints;
      int[] o = new int[out.shape().elements()];
      int batches = geo.lhsBatch().length;
      for (int bt = 0; bt < batches; bt++) {
        int xo = geo.lhsBatch()[bt] * geo.m() * geo.k();
        int yo = geo.rhsBatch()[bt] * geo.k() * geo.n();
        for (int i = 0; i < geo.m(); i++) {
          for (int j = 0; j < geo.n(); j++) {
            // Each product of two zero-point-shifted 8-bit values is below 2^16 in magnitude, so
            // int32 holds sums of up to 2^15 terms; int32 wraps beyond, as ONNX's int32 does.
            int acc = 0;
            for (int p = 0; p < geo.k(); p++) {
              acc += (x[xo + i * geo.k() + p] - aZp) * (y[yo + p * geo.n() + j] - bZp[j]);
            }
            o[(bt * geo.m() + i) * geo.n() + j] = acc;
          }
        }
      }
      return Tensor.ofInts(DType.INT32, out.shape(), o);
    };
  }

  /**
   * Conv2D over NHWC integer input and OHWI integer filters to raw int32 accumulators:
   * {@code bias[oc] + sum (x - x_zp) * (w - w_zp[oc])}. Padded positions contribute nothing,
   * which is padding with the input zero point, as ONNX specifies.
   */
  static Kernel conv2d(Graph g, Node n, Op.Conv2D op) {
    Value in = g.input(n, Op.Conv2D.INPUT);
    Value f = g.input(n, Op.Conv2D.FILTER);
    Value out = g.output(n);
    if (!isByte(in.dtype()) || !isByte(f.dtype()) || out.dtype() != DType.INT32
        || op.act() != Op.Activation.NONE) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    if (n.hasInput(Op.Conv2D.BIAS) && g.input(n, Op.Conv2D.BIAS).dtype() != DType.INT32) {
      throw ElementwiseSupport.fail(g, n, "accumulator bias must be i32");
    }
    Shape is = in.shape();
    Shape fs = f.shape();
    Shape os = out.shape();
    int inC = is.dim(3);
    int outC = fs.dim(0);
    int kh = fs.dim(1);
    int kw = fs.dim(2);
    int groupC = fs.dim(3);
    int groups = inC / groupC;
    int outPerGroup = outC / groups;
    int xZp = Math.toIntExact(in.quant().zeroPoint());
    int[] wZp = zeroPoints(g, n, f, outC);
    boolean hasBias = n.hasInput(Op.Conv2D.BIAS);
    return inputs -> {
      int[] x = inputs[Op.Conv2D.INPUT].ints;
      int[] w = inputs[Op.Conv2D.FILTER].ints;
      int[] bias = hasBias ? inputs[Op.Conv2D.BIAS].ints : null;
      int[] o = new int[os.elements()];
      int idx = 0;
      for (int b = 0; b < os.dim(0); b++) {
        for (int oy = 0; oy < os.dim(1); oy++) {
          for (int ox = 0; ox < os.dim(2); ox++) {
            for (int oc = 0; oc < outC; oc++) {
              int group = oc / outPerGroup;
              int acc = bias == null ? 0 : bias[oc];
              for (int ky = 0; ky < kh; ky++) {
                int iy = oy * op.strideH() - op.pads().top() + ky * op.dilationH();
                if (iy < 0 || iy >= is.dim(1)) {
                  continue;
                }
                for (int kx = 0; kx < kw; kx++) {
                  int ix = ox * op.strideW() - op.pads().left() + kx * op.dilationW();
                  if (ix < 0 || ix >= is.dim(2)) {
                    continue;
                  }
                  int xBase = ((b * is.dim(1) + iy) * is.dim(2) + ix) * inC + group * groupC;
                  int wBase = ((oc * kh + ky) * kw + kx) * groupC;
                  for (int c = 0; c < groupC; c++) {
                    // Zero-point-shifted 8-bit products are below 2^16; int32 wraps only past
                    // 2^15 terms, as ONNX's int32 accumulator would.
                    acc += (x[xBase + c] - xZp) * (w[wBase + c] - wZp[oc]);
                  }
                }
              }
              o[idx++] = acc;
            }
          }
        }
      }
      return Tensor.ofInts(DType.INT32, os, o);
    };
  }

  private static boolean isByte(DType d) {
    return d == DType.INT8 || d == DType.UINT8;
  }

  /** Zero point per channel of the operand's channel axis (per tensor repeats one value). */
  private static int[] zeroPoints(Graph g, Node n, Value v, int channels) {
    int[] zp = new int[channels];
    switch (v.quant()) {
      case Quantization.None none -> { }
      case Quantization.PerTensor p -> Arrays.fill(zp, Math.toIntExact(p.zeroPoint()));
      case Quantization.PerAxis p -> {
        if (p.channels() != channels) {
          throw ElementwiseSupport.fail(g, n, "'" + v.name() + "' has " + p.channels()
              + " zero points for " + channels + " channels");
        }
        for (int c = 0; c < channels; c++) {
          zp[c] = Math.toIntExact(p.zeroPoint(c));
        }
      }
    }
    return zp;
  }

  private static MatMulGeometry geometry(Shape a, Shape b) {
    Shape a2 = a.rank() == 1 ? Shape.of(1, a.dim(0)) : a;
    Shape b2 = b.rank() == 1 ? Shape.of(b.dim(0), 1) : b;
    Shape aBatch = Shape.of(Arrays.copyOf(a2.dims(), a2.rank() - 2));
    Shape bBatch = Shape.of(Arrays.copyOf(b2.dims(), b2.rank() - 2));
    Shape batch = io.kiln.ir.ShapeInference.broadcast(new Op.MatMul(), aBatch, bBatch);
    return new MatMulGeometry(a2.dim(-2), a2.dim(-1), b2.dim(-1),
        BroadcastIndex.sourceIndex(aBatch, batch), BroadcastIndex.sourceIndex(bBatch, batch));
  }
}
