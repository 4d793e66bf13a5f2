package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Requant;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.quant.ShiftAdd;
import io.kiln.quant.ShiftStage;

/**
 * Reference kernels for operators with a shift-only output stage ({@link Requant.Shift}): what a
 * shift-only accelerator computes, as target-exact lowering wrote it. Conv, depthwise and fully
 * connected sum raw products of narrowed activations and weights over the whole window, padding
 * reading the narrowed zero point, then apply the prepared {@link ShiftStage}; Add and average
 * pooling shift instead of multiplying. Weights may be int8 or ternary-encoded (the values are
 * the same integers; the encoding only says how the unit stores them).
 *
 * <p>Overflow: an int8 product is below 2^15 in magnitude and sums are kept in a {@code long},
 * so no sum of fewer than 2^48 terms can wrap.
 */
final class ShiftKernels {
  private ShiftKernels() {}

  static Kernel conv2d(Graph g, Node n, Op.Conv2D op) {
    String where = ConvKernels.where(g, n);
    TensorType in = g.input(n, Op.Conv2D.INPUT).type();
    Value w = g.input(n, Op.Conv2D.FILTER);
    Shape f = w.shape();
    ConvGeometry geo = ConvGeometry.of(in.shape(), g.output(n).shape(), f.dim(1), f.dim(2),
        op.strideH(), op.strideW(), op.dilationH(), op.dilationW(), op.pads());
    int depth = f.dim(3);
    if (depth == 0 || geo.inC() % depth != 0 || geo.outC() % (geo.inC() / depth) != 0) {
      throw new KilnException(where + ": filter " + f + " does not divide input " + in.shape()
          + " into groups");
    }
    int perGroup = geo.outC() / (geo.inC() / depth);
    ShiftStage st = ShiftStage.of(g, n);
    return args -> {
      int[] x = narrowed(args[Op.Conv2D.INPUT].ints, st);
      int[] filter = args[Op.Conv2D.FILTER].ints;
      Tensor out = Tensor.zeros(DType.INT8, outShape(geo));
      for (int b = 0; b < geo.batches(); b++) {
        for (int oy = 0; oy < geo.outH(); oy++) {
          for (int ox = 0; ox < geo.outW(); ox++) {
            for (int oc = 0; oc < geo.outC(); oc++) {
              int group = oc / perGroup;
              long acc = 0;
              for (int fy = 0; fy < geo.kH(); fy++) {
                int iy = oy * geo.strideH() - geo.padTop() + geo.dilationH() * fy;
                for (int fx = 0; fx < geo.kW(); fx++) {
                  int ix = ox * geo.strideW() - geo.padLeft() + geo.dilationW() * fx;
                  boolean inside = geo.insideInput(iy, ix);
                  int fBase = ((oc * geo.kH() + fy) * geo.kW() + fx) * depth;
                  for (int ic = 0; ic < depth; ic++) {
                    // A padded tap reads the zero point, which the folded bias cancels.
                    int xv = inside ? x[geo.inputIndex(b, iy, ix, group * depth + ic)]
                        : st.inputZeroPoint();
                    acc += (long) filter[fBase + ic] * xv;
                  }
                }
              }
              out.ints[geo.outputIndex(b, oy, ox, oc)] = st.apply(acc, oc);
            }
          }
        }
      }
      return out;
    };
  }

  static Kernel depthwise(Graph g, Node n, Op.DepthwiseConv2D op) {
    String where = ConvKernels.where(g, n);
    TensorType in = g.input(n, Op.DepthwiseConv2D.INPUT).type();
    Shape f = g.input(n, Op.DepthwiseConv2D.FILTER).shape();
    ConvGeometry geo = ConvGeometry.of(in.shape(), g.output(n).shape(), f.dim(1), f.dim(2),
        op.strideH(), op.strideW(), op.dilationH(), op.dilationW(), op.pads());
    int m = op.depthMultiplier();
    if (m <= 0 || geo.outC() != geo.inC() * m) {
      throw new KilnException(where + ": " + geo.outC() + " output channels are not " + geo.inC()
          + " input channels times depth multiplier " + m);
    }
    ShiftStage st = ShiftStage.of(g, n);
    return args -> {
      int[] x = narrowed(args[Op.DepthwiseConv2D.INPUT].ints, st);
      int[] filter = args[Op.DepthwiseConv2D.FILTER].ints;
      Tensor out = Tensor.zeros(DType.INT8, outShape(geo));
      for (int b = 0; b < geo.batches(); b++) {
        for (int oy = 0; oy < geo.outH(); oy++) {
          for (int ox = 0; ox < geo.outW(); ox++) {
            for (int oc = 0; oc < geo.outC(); oc++) {
              int ic = oc / m;
              long acc = 0;
              for (int fy = 0; fy < geo.kH(); fy++) {
                int iy = oy * geo.strideH() - geo.padTop() + geo.dilationH() * fy;
                for (int fx = 0; fx < geo.kW(); fx++) {
                  int ix = ox * geo.strideW() - geo.padLeft() + geo.dilationW() * fx;
                  int xv = geo.insideInput(iy, ix) ? x[geo.inputIndex(b, iy, ix, ic)]
                      : st.inputZeroPoint();
                  acc += (long) filter[(fy * geo.kW() + fx) * geo.outC() + oc] * xv;
                }
              }
              out.ints[geo.outputIndex(b, oy, ox, oc)] = st.apply(acc, oc);
            }
          }
        }
      }
      return out;
    };
  }

  static Kernel fullyConnected(Graph g, Node n, Op.FullyConnected op) {
    String where = ConvKernels.where(g, n);
    TensorType in = g.input(n, Op.FullyConnected.INPUT).type();
    Shape w = g.input(n, Op.FullyConnected.WEIGHTS).shape();
    TensorType outType = g.output(n).type();
    if (w.rank() != 2 || outType.shape().dim(-1) != w.dim(0)
        || outType.elements() / w.dim(0) * w.dim(1) != in.elements()) {
      throw new KilnException(where + ": input " + in.shape() + ", weights " + w
          + " and output " + outType.shape() + " do not agree");
    }
    int outDepth = w.dim(0);
    int depth = w.dim(1);
    int batches = outType.elements() / outDepth;
    ShiftStage st = ShiftStage.of(g, n);
    return args -> {
      int[] x = narrowed(args[Op.FullyConnected.INPUT].ints, st);
      int[] weights = args[Op.FullyConnected.WEIGHTS].ints;
      Tensor out = Tensor.zeros(DType.INT8, outType.shape());
      for (int b = 0; b < batches; b++) {
        for (int oc = 0; oc < outDepth; oc++) {
          long acc = 0;
          for (int i = 0; i < depth; i++) {
            acc += (long) weights[oc * depth + i] * x[b * depth + i];
          }
          out.ints[b * outDepth + oc] = st.apply(acc, oc);
        }
      }
      return out;
    };
  }

  /** Element-wise Add of equal shapes or with broadcasting, by {@link ShiftAdd}. */
  static Kernel add(Graph g, Node n, Requant.Shift s) {
    String where = ConvKernels.where(g, n);
    Value lhs = g.input(n, Op.Add.LHS);
    Value rhs = g.input(n, Op.Add.RHS);
    Value outV = g.output(n);
    requireInt8(where, lhs.type(), rhs.type(), outV.type());
    ShiftAdd st = ShiftAdd.prepare(s, lhs.type(), rhs.type(), outV.type(), where);
    BroadcastIndex bc = BroadcastIndex.of(lhs.shape(), rhs.shape(), outV.shape());
    return args -> {
      int[] a = args[Op.Add.LHS].ints;
      int[] b = args[Op.Add.RHS].ints;
      int[] o = new int[bc.lhs().length];
      for (int i = 0; i < o.length; i++) {
        o[i] = st.apply(a[bc.lhs()[i]], b[bc.rhs()[i]]);
      }
      return Tensor.ofInts(DType.INT8, outV.shape(), o);
    };
  }

  /**
   * Average pooling that divides by shifting: {@code clamp(shift(Σ (x - zp_in), s + log2 count)
   * + zp_out)} over the window clipped to the image, whose element count must be a power of two
   * ({@code s} is the stage's one shift, the input/output rescaling).
   */
  static Kernel averagePool(Graph g, Node n, Op.AveragePool2D op, Requant.Shift s) {
    String where = ConvKernels.where(g, n);
    TensorType in = g.input(n, Op.AveragePool2D.INPUT).type();
    TensorType outType = g.output(n).type();
    requireInt8(where, in, in, outType);
    ConvGeometry geo = ConvGeometry.of(in.shape(), outType.shape(), op.filterH(), op.filterW(),
        op.strideH(), op.strideW(), 1, 1, op.pads());
    int inZp = (int) in.quant().zeroPoint();
    int outZp = (int) outType.quant().zeroPoint();
    return args -> {
      int[] x = args[Op.AveragePool2D.INPUT].ints;
      Tensor out = Tensor.zeros(DType.INT8, outShape(geo));
      for (int b = 0; b < geo.batches(); b++) {
        for (int oy = 0; oy < geo.outH(); oy++) {
          for (int ox = 0; ox < geo.outW(); ox++) {
            int y0 = oy * geo.strideH() - geo.padTop();
            int x0 = ox * geo.strideW() - geo.padLeft();
            int fyStart = Math.max(0, -y0);
            int fyEnd = Math.min(geo.kH(), geo.inH() - y0);
            int fxStart = Math.max(0, -x0);
            int fxEnd = Math.min(geo.kW(), geo.inW() - x0);
            int count = (fyEnd - fyStart) * (fxEnd - fxStart);
            if (count <= 0 || Integer.bitCount(count) != 1) {
              throw new KilnException(where + ": a window of " + count + " elements cannot be"
                  + " averaged by a shift");
            }
            int total = s.shift(0) + Integer.numberOfTrailingZeros(count);
            for (int c = 0; c < geo.outC(); c++) {
              long sum = 0;
              for (int fy = fyStart; fy < fyEnd; fy++) {
                for (int fx = fxStart; fx < fxEnd; fx++) {
                  sum += x[geo.inputIndex(b, y0 + fy, x0 + fx, c)] - inZp;
                }
              }
              long v = ShiftStage.shift(sum, total, s.rounding()) + outZp;
              out.ints[geo.outputIndex(b, oy, ox, c)] =
                  (int) Math.max(s.clampMin(), Math.min(s.clampMax(), v));
            }
          }
        }
      }
      return out;
    };
  }

  private static int[] narrowed(int[] x, ShiftStage st) {
    if (st.inputShift() == 0 && st.inputBits() == 8) {
      return x;
    }
    int[] y = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = st.narrow(x[i]);
    }
    return y;
  }

  private static void requireInt8(String where, TensorType... types) {
    for (TensorType t : types) {
      if (t.dtype() != DType.INT8) {
        throw new KilnException(where + ": a shift-only stage runs on i8, not "
            + t.dtype().shortName());
      }
    }
  }

  private static Shape outShape(ConvGeometry geo) {
    return Shape.of(geo.batches(), geo.outH(), geo.outW(), geo.outC());
  }
}
