package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.GatherGeometry;
import io.kiln.ir.ResizeCoordinates;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.Value;

/**
 * SHAPE, GATHER and RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR following TFLM's reference kernels:
 * Shape writes the static dimensions, Gather copies whole inner slices picked by the indices, and
 * the resizes compute TFLM's source coordinates (float for nearest neighbour and float bilinear,
 * 10-bit fixed point for integer bilinear) at prepare time.
 */
final class IndexKernels {
  private IndexKernels() {}

  static Kernel shapeOf(Graph g, Node n) {
    Value in = g.input(n, Op.ShapeOf.INPUT);
    Value out = g.output(n);
    int[] dims = in.shape().dims();
    if (out.dtype() == DType.INT64) {
      long[] v = new long[dims.length];
      for (int i = 0; i < dims.length; i++) {
        v[i] = dims[i];
      }
      return inputs -> Tensor.ofLongs(out.shape(), v.clone());
    }
    if (out.dtype() != DType.INT32) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    return inputs -> Tensor.ofInts(DType.INT32, out.shape(), dims.clone());
  }

  static Kernel gather(Graph g, Node n, Op.Gather op) {
    Value in = g.input(n, Op.Gather.INPUT);
    Value idx = g.input(n, Op.Gather.INDICES);
    Value out = g.output(n);
    if (in.dtype() != out.dtype() || in.dtype() == DType.BOOL) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    GatherGeometry geo = GatherGeometry.of(in.shape(), idx.shape(), op);
    String where = ConvKernels.where(g, n);
    return inputs -> {
      Tensor indices = inputs[Op.Gather.INDICES];
      int[] map = new int[out.shape().elements()];
      int at = 0;
      for (int b = 0; b < geo.batches(); b++) {
        for (int o = 0; o < geo.outer(); o++) {
          for (int c = 0; c < geo.coords(); c++) {
            int k = b * geo.coords() + c;
            long raw = indices.ints != null ? indices.ints[k] : indices.longs[k];
            int index = checkedIndex(raw, geo.axisSize(), where);
            int from = ((b * geo.outer() + o) * geo.axisSize() + index) * geo.inner();
            for (int i = 0; i < geo.inner(); i++) {
              map[at++] = from + i;
            }
          }
        }
      }
      return ShapeKernels.gather(inputs[Op.Gather.INPUT], map, out.shape(), 0);
    };
  }

  /**
   * An index in [-n, n), negative ones counting from the end (ONNX); TFLM leaves indices outside
   * [0, n) undefined, Kiln refuses them.
   */
  static int checkedIndex(long raw, int n, String where) {
    if (raw < -n || raw >= n) {
      throw new KilnException(where + ": index " + raw + " is outside [" + -n + ", " + n + ")");
    }
    return (int) (raw < 0 ? raw + n : raw);
  }

  static Kernel resize(Graph g, Node n, Op.Resize op) {
    Value in = g.input(n, Op.Resize.INPUT);
    Value out = g.output(n);
    DType dt = in.dtype();
    if (dt != out.dtype() || (dt != DType.INT8 && dt != DType.INT16 && dt != DType.FLOAT32)
        || (op.mode() == Op.ResizeMode.BILINEAR && dt == DType.INT16)) {
      throw ElementwiseSupport.unsupportedTypes(g, n);
    }
    Shape s = in.shape();
    Shape o = out.shape();
    if (op.mode() == Op.ResizeMode.NEAREST) {
      int[] ys = ResizeCoordinates.nearest(s.dim(1), o.dim(1), op);
      int[] xs = ResizeCoordinates.nearest(s.dim(2), o.dim(2), op);
      int depth = s.dim(3);
      int[] map = new int[o.elements()];
      int at = 0;
      for (int b = 0; b < o.dim(0); b++) {
        for (int y = 0; y < o.dim(1); y++) {
          for (int x = 0; x < o.dim(2); x++) {
            int from = ((b * s.dim(1) + ys[y]) * s.dim(2) + xs[x]) * depth;
            for (int c = 0; c < depth; c++) {
              map[at++] = from + c;
            }
          }
        }
      }
      return inputs -> ShapeKernels.gather(inputs[0], map, o, 0);
    }
    if (dt == DType.FLOAT32) {
      ResizeCoordinates.Float ys = ResizeCoordinates.bilinearFloat(s.dim(1), o.dim(1), op);
      ResizeCoordinates.Float xs = ResizeCoordinates.bilinearFloat(s.dim(2), o.dim(2), op);
      return inputs -> bilinearFloat(inputs[0].floats, s, o, ys, xs);
    }
    ResizeCoordinates.Fixed ys = ResizeCoordinates.bilinearFixed(s.dim(1), o.dim(1), op);
    ResizeCoordinates.Fixed xs = ResizeCoordinates.bilinearFixed(s.dim(2), o.dim(2), op);
    return inputs -> bilinearInt8(inputs[0].ints, s, o, ys, xs);
  }

  /** reference_ops::ResizeBilinear for float: four weighted taps summed in TFLM's order. */
  private static Tensor bilinearFloat(float[] in, Shape s, Shape o, ResizeCoordinates.Float ys,
      ResizeCoordinates.Float xs) {
    float[] out = new float[o.elements()];
    int depth = s.dim(3);
    int at = 0;
    for (int b = 0; b < o.dim(0); b++) {
      for (int y = 0; y < o.dim(1); y++) {
        float iy = ys.scaled()[y];
        int y0 = ys.lower()[y];
        int y1 = ys.upper()[y];
        for (int x = 0; x < o.dim(2); x++) {
          float ix = xs.scaled()[x];
          int x0 = xs.lower()[x];
          int x1 = xs.upper()[x];
          for (int c = 0; c < depth; c++) {
            float v00 = in[((b * s.dim(1) + y0) * s.dim(2) + x0) * depth + c];
            float v10 = in[((b * s.dim(1) + y1) * s.dim(2) + x0) * depth + c];
            float v01 = in[((b * s.dim(1) + y0) * s.dim(2) + x1) * depth + c];
            float v11 = in[((b * s.dim(1) + y1) * s.dim(2) + x1) * depth + c];
            // Each product is evaluated left to right, as C++ does, and the rounding offset of
            // the float kernel is +0.0f.
            out[at++] = v00 * (1 - (iy - y0)) * (1 - (ix - x0))
                + v10 * (iy - y0) * (1 - (ix - x0))
                + v01 * (1 - (iy - y0)) * (ix - x0)
                + v11 * (iy - y0) * (ix - x0) + 0.0f;
          }
        }
      }
    }
    return Tensor.ofFloats(o, out);
  }

  /**
   * reference_ops::ResizeBilinearInteger: weights in 1/1024ths, the four products summed in
   * int64 (at most 127 * 2^20 * 4, far inside it), then divided by 2^20 rounding half away from
   * zero (TFLM's default, without TFLITE_SINGLE_ROUNDING).
   */
  private static Tensor bilinearInt8(int[] in, Shape s, Shape o, ResizeCoordinates.Fixed ys,
      ResizeCoordinates.Fixed xs) {
    int[] out = new int[o.elements()];
    int depth = s.dim(3);
    int at = 0;
    for (int b = 0; b < o.dim(0); b++) {
      for (int y = 0; y < o.dim(1); y++) {
        int iy = ys.scaled()[y];
        int y0 = ys.lower()[y];
        int y1 = ys.upper()[y];
        for (int x = 0; x < o.dim(2); x++) {
          int ix = xs.scaled()[x];
          int x0 = xs.lower()[x];
          int x1 = xs.upper()[x];
          long wy1 = iy - 1024L * y0;
          long wy0 = 1024 - wy1;
          long wx1 = ix - 1024L * x0;
          long wx0 = 1024 - wx1;
          for (int c = 0; c < depth; c++) {
            long sum = in[((b * s.dim(1) + y0) * s.dim(2) + x0) * depth + c] * wy0 * wx0
                + in[((b * s.dim(1) + y1) * s.dim(2) + x0) * depth + c] * wy1 * wx0
                + in[((b * s.dim(1) + y0) * s.dim(2) + x1) * depth + c] * wy0 * wx1
                + in[((b * s.dim(1) + y1) * s.dim(2) + x1) * depth + c] * wy1 * wx1;
            long round = sum > 0 ? 1 << 19 : -(1 << 19);
            // Java's long division truncates toward zero, like C++'s.
            out[at++] = (byte) ((sum + round) / (1 << 20));
          }
        }
      }
    }
    return Tensor.ofInts(DType.INT8, o, out);
  }
}
