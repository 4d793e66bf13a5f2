package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.StridedSliceGeometry;
import io.kiln.ir.Value;
import java.util.List;

/**
 * Reshape, Pad, StridedSlice, Concatenation and Transpose: pure data movement, resolved at prepare
 * time into a gather map (for each output element, the flat input index it copies, or -1 for a
 * pad value) so the run loop is one obviously-correct copy for every dtype.
 */
final class ShapeKernels {
  private ShapeKernels() {}

  static Kernel reshape(Graph g, Node n, Op.Reshape op) {
    Value out = g.output(n);
    Value in = g.input(n, Op.Reshape.INPUT);
    if (in.dtype() != out.dtype()) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    Shape shape = out.shape();
    return inputs -> inputs[0].reshaped(shape);
  }

  /**
   * pad.cc: the pad value is the output zero point for int8 (and uint8), and 0 for int16, int32
   * and float (TFLM uses 0 for int16 even though it also requires that zero point to be 0).
   */
  static Kernel pad(Graph g, Node n, Op.Pad op) {
    Value in = g.input(n, Op.Pad.INPUT);
    Value out = g.output(n);
    DType dt = in.dtype();
    if (dt != out.dtype() || dt == DType.BOOL) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    int padValue = dt == DType.INT8 || dt == DType.UINT8
        ? ElementwiseSupport.zeroPoint(g, n, out) : 0;
    int[] map = padMap(in.shape(), op.before(), out.shape());
    return inputs -> gather(inputs[0], map, out.shape(), padValue);
  }

  /** For each output element of a pad, the input element it copies or -1 inside the border. */
  static int[] padMap(Shape in, List<Integer> before, Shape out) {
    int rank = out.rank();
    int[] inStrides = in.strides();
    int[] map = new int[out.elements()];
    int[] idx = new int[rank];
    for (int i = 0; i < map.length; i++) {
      int src = 0;
      for (int a = 0; a < rank && src >= 0; a++) {
        int ia = idx[a] - before.get(a);
        src = ia < 0 || ia >= in.dim(a) ? -1 : src + ia * inStrides[a];
      }
      map[i] = src;
      increment(idx, out);
    }
    return map;
  }

  static Kernel stridedSlice(Graph g, Node n, Op.StridedSlice op) {
    Value in = g.input(n, Op.StridedSlice.INPUT);
    Value out = g.output(n);
    if (in.dtype() != out.dtype()) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    StridedSliceGeometry geo = StridedSliceGeometry.of(op, in.shape());
    if (geo.outputShape().elements() != out.shape().elements()) {
      throw ElementwiseSupport.fail(g, n, "slice selects " + geo.outputShape() + " but the output"
          + " is " + out.shape());
    }
    int[] map = stridedSliceMap(geo, in.shape());
    return inputs -> gather(inputs[0], map, out.shape(), 0);
  }

  /**
   * reference_ops::StridedSlice: nested loops over the axes, each from start while short of
   * stop (in the stride's direction), writing input elements in order.
   */
  static int[] stridedSliceMap(StridedSliceGeometry geo, Shape in) {
    int rank = in.rank();
    int[] inStrides = in.strides();
    int[] map = new int[geo.outputShape().elements()];
    if (map.length == 0) {
      return map;
    }
    int[] pos = geo.start().clone();
    int k = 0;
    while (true) {
      int src = 0;
      for (int a = 0; a < rank; a++) {
        src += pos[a] * inStrides[a];
      }
      map[k++] = src;
      // Advance the innermost axis; carry outwards when an axis reaches its stop.
      int a = rank - 1;
      while (a >= 0) {
        pos[a] += geo.stride()[a];
        boolean inRange = geo.stride()[a] > 0 ? pos[a] < geo.stop()[a] : pos[a] > geo.stop()[a];
        if (inRange) {
          break;
        }
        pos[a] = geo.start()[a];
        a--;
      }
      if (a < 0) {
        return map;
      }
    }
  }

  /**
   * concatenation.cc: inputs are copied unchanged. TFLM requires int8 inputs to be quantized
   * exactly like the output (it never rescales) and int16 zero points to be 0; it copies int16
   * data even when scales differ, and so do we.
   */
  static Kernel concatenation(Graph g, Node n, Op.Concatenation op) {
    Value out = g.output(n);
    DType dt = out.dtype();
    if (op.act() != Op.Activation.NONE) {
      throw ElementwiseSupport.fail(g, n, "fused activation " + op.act() + " is not supported");
    }
    if (dt != DType.FLOAT32 && dt != DType.INT8 && dt != DType.INT16 && dt != DType.INT32
        && dt != DType.INT64 && dt != DType.BOOL) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    int count = n.inputs().size();
    Shape[] shapes = new Shape[count];
    for (int i = 0; i < count; i++) {
      Value in = g.input(n, i);
      if (in.dtype() != dt) {
        throw ElementwiseSupport.unsupportedTypes(g, n);
      }
      if (dt == DType.INT8 && (ElementwiseSupport.scale(g, n, in)
          != ElementwiseSupport.scale(g, n, out)
          || ElementwiseSupport.zeroPoint(g, n, in) != ElementwiseSupport.zeroPoint(g, n, out))) {
        throw ElementwiseSupport.fail(g, n, "int8 input '" + in.name() + "' is quantized"
            + " differently from the output; TFLite Micro does not rescale in Concatenation");
      }
      if (dt == DType.INT16 && (ElementwiseSupport.zeroPoint(g, n, in) != 0
          || ElementwiseSupport.zeroPoint(g, n, out) != 0)) {
        throw ElementwiseSupport.fail(g, n, "int16 Concatenation needs zero points of 0");
      }
      shapes[i] = in.shape();
    }
    Shape outShape = out.shape();
    int axis = op.axis();
    // outer = product of dims before the axis; each input contributes a contiguous run of
    // dim(axis) * inner elements per outer index.
    int outerProduct = 1;
    for (int a = 0; a < axis; a++) {
      outerProduct *= outShape.dim(a);
    }
    int outer = outerProduct;
    int[] runs = new int[count];
    for (int i = 0; i < count; i++) {
      runs[i] = outer == 0 ? 0 : shapes[i].elements() / outer;
    }
    int total = outShape.elements();
    return inputs -> {
      Tensor o = Tensor.zeros(dt, outShape);
      int dst = 0;
      for (int r = 0; r < outer; r++) {
        for (int i = 0; i < count; i++) {
          copy(inputs[i], r * runs[i], o, dst, runs[i]);
          dst += runs[i];
        }
      }
      if (dst != total) {
        throw new IllegalStateException("concatenation wrote " + dst + " of " + total);
      }
      return o;
    };
  }

  static Kernel transpose(Graph g, Node n, Op.Transpose op) {
    Value in = g.input(n, Op.Transpose.INPUT);
    Value out = g.output(n);
    if (in.dtype() != out.dtype()) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    int[] map = transposeMap(in.shape(), op.perm());
    return inputs -> gather(inputs[0], map, out.shape(), 0);
  }

  /** Output axis i walks input axis perm[i]. */
  static int[] transposeMap(Shape in, List<Integer> perm) {
    int rank = in.rank();
    int[] outDims = new int[rank];
    int[] inStrides = in.strides();
    int[] stride = new int[rank];
    for (int i = 0; i < rank; i++) {
      outDims[i] = in.dim(perm.get(i));
      stride[i] = inStrides[perm.get(i)];
    }
    Shape out = Shape.of(outDims);
    int[] map = new int[out.elements()];
    int[] idx = new int[rank];
    for (int k = 0; k < map.length; k++) {
      int src = 0;
      for (int a = 0; a < rank; a++) {
        src += idx[a] * stride[a];
      }
      map[k] = src;
      increment(idx, out);
    }
    return map;
  }

  /** Row-major odometer step over {@code shape}. */
  private static void increment(int[] idx, Shape shape) {
    for (int a = idx.length - 1; a >= 0; a--) {
      if (++idx[a] < shape.dim(a)) {
        return;
      }
      idx[a] = 0;
    }
  }

  /** out[i] = in[map[i]], or {@code fill} (0.0 for floats) where map[i] is -1. */
  static Tensor gather(Tensor in, int[] map, Shape outShape, int fill) {
    Tensor o = Tensor.zeros(in.dtype, outShape);
    for (int i = 0; i < map.length; i++) {
      int s = map[i];
      if (in.ints != null) {
        o.ints[i] = s < 0 ? fill : in.ints[s];
      } else if (in.longs != null) {
        o.longs[i] = s < 0 ? fill : in.longs[s];
      } else {
        o.floats[i] = s < 0 ? 0f : in.floats[s];
      }
    }
    return o;
  }

  private static void copy(Tensor src, int from, Tensor dst, int to, int len) {
    if (src.ints != null) {
      System.arraycopy(src.ints, from, dst.ints, to, len);
    } else if (src.longs != null) {
      System.arraycopy(src.longs, from, dst.longs, to, len);
    } else {
      System.arraycopy(src.floats, from, dst.floats, to, len);
    }
  }
}
