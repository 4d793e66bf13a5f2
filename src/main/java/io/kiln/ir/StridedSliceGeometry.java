package io.kiln.ir;

import io.kiln.KilnException;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves a TFLite STRIDED_SLICE (begin/end/stride with begin, end and shrink masks) against
 * an input shape into per-axis start, stop and stride; shape inference and kernels share it.
 *
 * <p>The per-axis rules are those of TFLite's {@code strided_slice_logic.h}
 * ({@code StridedSliceStartForAxis}/{@code StridedSliceEndForAxis}, which TFLite Micro evaluates
 * with): a negative index counts from the end, the index is clamped to [0, size] (or [-1, size-1]
 * for a negative stride), and only then does a begin/end mask bit replace it with the first/last
 * position. A shrunk axis selects exactly one element at its start. With {@code offset}, end is
 * relative to the resolved start (TFLite's semantics; TFLite Micro never sets it). When begin has
 * fewer entries than the input rank, the remaining trailing axes are taken whole.
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
      boolean shrink = (s.shrinkAxisMask() & (1 << a)) != 0;
      stride[a] = st;
      start[a] = startForAxis(s, a, size, st);
      if (shrink) {
        if (start[a] < 0 || start[a] >= size) {
          throw new KilnException("StridedSlice: shrunk axis " + a + " starts at "
              + s.begin().get(a) + ", outside an axis of size " + size);
        }
        // One element, whichever the stride's sign: the loop runs from start towards stop.
        stop[a] = st > 0 ? start[a] + 1 : start[a] - 1;
        continue;
      }
      stop[a] = stopForAxis(s, a, size, st, start[a]);
      long span = st > 0 ? (long) stop[a] - start[a] : (long) start[a] - stop[a];
      long len = Math.max(0, Math.ceilDiv(span, Math.abs((long) st)));
      out.add((int) len);
    }
    return new StridedSliceGeometry(start, stop, stride,
        Shape.of(out.stream().mapToInt(Integer::intValue).toArray()));
  }

  private static int startForAxis(Op.StridedSlice s, int a, int size, int st) {
    long start = s.begin().get(a);
    if (start < 0) {
      start += size;
    }
    start = st > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
    if ((s.beginMask() & (1 << a)) != 0) {
      start = st > 0 ? 0 : size - 1;
    }
    return (int) start;
  }

  private static int stopForAxis(Op.StridedSlice s, int a, int size, int st, int start) {
    long stop = s.end().get(a);
    if (s.offset()) {
      stop += start;
    }
    if (stop < 0) {
      stop += size;
    }
    stop = st > 0 ? clamp(stop, 0, size) : clamp(stop, -1, size - 1);
    if ((s.endMask() & (1 << a)) != 0) {
      stop = st > 0 ? size : -1;
    }
    return (int) stop;
  }

  private static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
