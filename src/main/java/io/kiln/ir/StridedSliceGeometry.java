package io.kiln.ir;

import io.kiln.KilnException;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves a TFLite STRIDED_SLICE (begin/end/stride with begin, end and shrink masks) against
 * an input shape into per-axis start, stop and stride; shape inference and kernels share it.
 */
public record StridedSliceGeometry(int[] start, int[] stop, int[] stride, Shape outputShape) {

  public static StridedSliceGeometry of(Op.StridedSlice s, Shape in) {
    int rank = in.rank();
    int n = s.begin().size();
    if (s.end().size() != n || s.strides().size() != n || n > rank) {
      throw new KilnException("StridedSlice: begin/end/strides of lengths " + s.begin().size()
          + "/" + s.end().size() + "/" + s.strides().size() + " for input " + in);
    }
    if (s.ellipsisMask() != 0 || s.newAxisMask() != 0) {
      throw new KilnException("StridedSlice: ellipsis_mask and new_axis_mask are not supported");
    }
    int[] start = new int[rank];
    int[] stop = new int[rank];
    int[] stride = new int[rank];
    List<Integer> out = new ArrayList<>();
    for (int a = 0; a < rank; a++) {
      int size = in.dim(a);
      if (a >= n) {
        start[a] = 0;
        stop[a] = size;
        stride[a] = 1;
        out.add(size);
        continue;
      }
      int st = s.strides().get(a);
      if (st == 0) {
        throw new KilnException("StridedSlice: stride 0 on axis " + a);
      }
      stride[a] = st;
      start[a] = startForAxis(s, a, size, st);
      stop[a] = stopForAxis(s, a, size, st, start[a]);
      int len = st > 0 ? ceilDiv(stop[a] - start[a], st) : ceilDiv(start[a] - stop[a], -st);
      len = Math.max(len, 0);
      if ((s.shrinkAxisMask() & (1 << a)) == 0) {
        out.add(len);
      } else if (len != 1) {
        throw new KilnException("StridedSlice: shrunk axis " + a + " selects " + len
            + " elements");
      }
    }
    return new StridedSliceGeometry(start, stop, stride,
        Shape.of(out.stream().mapToInt(Integer::intValue).toArray()));
  }

  private static int startForAxis(Op.StridedSlice s, int a, int size, int st) {
    long start = s.begin().get(a);
    if ((s.beginMask() & (1 << a)) != 0) {
      start = st > 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE;
    }
    if (start < 0) {
      start += size;
    }
    return (int) (st > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1));
  }

  private static int stopForAxis(Op.StridedSlice s, int a, int size, int st, int start) {
    if ((s.shrinkAxisMask() & (1 << a)) != 0) {
      return start + 1;
    }
    long stop = s.end().get(a);
    if (s.offset()) {
      stop += start;
    }
    if ((s.endMask() & (1 << a)) != 0) {
      stop = st > 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE;
    }
    if (stop < 0 && !s.offset()) {
      stop += size;
    }
    return (int) (st > 0 ? clamp(stop, 0, size) : clamp(stop, -1, size - 1));
  }

  private static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  private static int ceilDiv(int a, int b) {
    return Math.floorDiv(a + b - 1, b);
  }
}
