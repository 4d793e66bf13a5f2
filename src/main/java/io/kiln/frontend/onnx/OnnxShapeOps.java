package io.kiln.frontend.onnx;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX shape operators (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Pad, Slice,
 * Split, Shape) onto Kiln IR operators, with their static shape, axis and bound inputs.
 */
final class OnnxShapeOps {
  private OnnxShapeOps() {}

  static void reshape(OnnxNode n) {
    int x = n.in(0);
    Shape in = n.ctx.shape(x);
    long[] spec = n.ctx.opset < 5 ? toLongs(n.attrs.ints("shape")) : n.longs(1, "shape");
    boolean allowZero = n.attrs.i("allowzero", 0) != 0;
    int[] dims = new int[spec.length];
    int infer = -1;
    long known = 1;
    for (int i = 0; i < spec.length; i++) {
      long d = spec[i];
      if (d == 0 && !allowZero) {
        if (i >= in.rank()) {
          throw n.fail("shape entry " + i + " copies a dimension the input " + in + " lacks");
        }
        d = in.dim(i);
      }
      if (d == -1) {
        if (infer >= 0) {
          throw n.fail("shape " + Arrays.toString(spec) + " has more than one -1");
        }
        infer = i;
        continue;
      }
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw n.fail("invalid shape entry " + d);
      }
      dims[i] = (int) d;
      known *= d;
    }
    if (infer >= 0) {
      if (known == 0 || in.elements() % known != 0) {
        throw n.fail("cannot infer the -1 in shape " + Arrays.toString(spec) + " for input "
            + in);
      }
      dims[infer] = (int) (in.elements() / known);
    }
    n.bind(0, n.ctx.reshape(x, Shape.of(dims), n.out(0)));
  }

  static long[] toLongs(int[] v) {
    if (v == null) {
      return new long[0];
    }
    long[] l = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      l[i] = v[i];
    }
    return l;
  }

  static void flatten(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    int axis = n.attrs.intAttr("axis", 1);
    if (axis < 0) {
      axis += s.rank();
    }
    if (axis < 0 || axis > s.rank()) {
      throw n.fail("axis " + n.attrs.i("axis", 1) + " out of range for " + s);
    }
    int outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= s.dim(i);
    }
    int inner = 1;
    for (int i = axis; i < s.rank(); i++) {
      inner *= s.dim(i);
    }
    n.bind(0, n.ctx.reshape(x, Shape.of(outer, inner), n.out(0)));
  }

  static void transpose(OnnxNode n) {
    int x = n.in(0);
    int rank = n.ctx.shape(x).rank();
    int[] perm = n.attrs.ints("perm");
    if (perm == null) {
      perm = new int[rank];
      for (int i = 0; i < rank; i++) {
        perm[i] = rank - 1 - i;
      }
    }
    n.bind(0, n.ctx.transpose(x, perm, n.out(0)));
  }

  /** Axes from the attribute (old opsets) or the constant input 1; null when absent. */
  static long[] axesInput(OnnxNode n, int sinceOpset) {
    if (n.ctx.opset < sinceOpset) {
      int[] a = n.attrs.ints("axes");
      return a == null ? null : toLongs(a);
    }
    return n.has(1) ? n.longs(1, "axes") : null;
  }

  static void squeeze(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    long[] axes = axesInput(n, 13);
    boolean[] drop = new boolean[s.rank()];
    if (axes == null) {
      for (int i = 0; i < s.rank(); i++) {
        drop[i] = s.dim(i) == 1;
      }
    } else {
      for (long a : axes) {
        int ax = OnnxOperators.axis(n, (int) a, s.rank());
        if (s.dim(ax) != 1) {
          throw n.fail("cannot squeeze axis " + a + " of size " + s.dim(ax) + " in " + s);
        }
        drop[ax] = true;
      }
    }
    List<Integer> dims = new ArrayList<>();
    for (int i = 0; i < s.rank(); i++) {
      if (!drop[i]) {
        dims.add(s.dim(i));
      }
    }
    n.bind(0, n.ctx.reshape(x, Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()),
        n.out(0)));
  }

  static void unsqueeze(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    long[] axes = axesInput(n, 13);
    if (axes == null) {
      throw n.fail("axes are required");
    }
    int rank = s.rank() + axes.length;
    boolean[] inserted = new boolean[rank];
    for (long a : axes) {
      int ax = OnnxOperators.axis(n, (int) a, rank);
      if (inserted[ax]) {
        throw n.fail("axis " + a + " repeated");
      }
      inserted[ax] = true;
    }
    int[] dims = new int[rank];
    int src = 0;
    for (int i = 0; i < rank; i++) {
      dims[i] = inserted[i] ? 1 : s.dim(src++);
    }
    n.bind(0, n.ctx.reshape(x, Shape.of(dims), n.out(0)));
  }

  static void concat(OnnxNode n) {
    List<Integer> ins = new ArrayList<>();
    for (int i = 0; i < n.inputCount(); i++) {
      ins.add(n.in(i));
    }
    int rank = n.ctx.shape(ins.get(0)).rank();
    if (!n.attrs.has("axis")) {
      throw n.fail("attribute axis is required");
    }
    int axis = OnnxOperators.axis(n, n.attrs.intAttr("axis", 0), rank);
    n.bind(0, n.ctx.applyLike(new Op.Concatenation(axis, Op.Activation.NONE), ins, n.out(0), ins.get(0)));
  }

  static void pad(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    int rank = s.rank();
    String mode = n.attrs.s("mode", "constant");
    if (!mode.equals("constant")) {
      throw n.fail("pad mode '" + mode + "' is not supported; Kiln pads with a constant");
    }
    long[] pads;
    float value = 0f;
    long[] axes = null;
    if (n.ctx.opset < 11) {
      pads = toLongs(n.attrs.ints("pads"));
      value = n.attrs.f("value", 0f);
    } else {
      pads = n.longs(1, "pads");
      if (n.has(2)) {
        value = OnnxOperators.scalar(n.floats(2, "constant_value"), n, "constant_value");
      }
      if (n.has(3)) {
        axes = n.longs(3, "axes");
      }
    }
    if (value != 0f) {
      throw n.fail("constant_value " + value + " is not supported; Kiln's Pad fills with zero"
          + " (the zero point for quantized tensors)");
    }
    int[] which = new int[axes == null ? rank : axes.length];
    for (int i = 0; i < which.length; i++) {
      which[i] = axes == null ? i : OnnxOperators.axis(n, (int) axes[i], rank);
    }
    if (pads.length != 2 * which.length) {
      throw n.fail(pads.length + " pads for " + which.length + " axes");
    }
    Integer[] before = new Integer[rank];
    Integer[] after = new Integer[rank];
    Arrays.fill(before, 0);
    Arrays.fill(after, 0);
    for (int i = 0; i < which.length; i++) {
      long b = pads[i];
      long e = pads[i + which.length];
      if (b < 0 || e < 0) {
        throw n.fail("negative pads (cropping) are not supported");
      }
      before[which[i]] = Math.toIntExact(b);
      after[which[i]] = Math.toIntExact(e);
    }
    n.bind(0, n.ctx.applyLike(new Op.Pad(List.of(before), List.of(after)), List.of(x),
        n.out(0), x));
  }

  static void slice(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    int rank = s.rank();
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps = null;
    if (n.ctx.opset < 10) {
      starts = toLongs(n.attrs.ints("starts"));
      ends = toLongs(n.attrs.ints("ends"));
      axes = n.attrs.ints("axes") == null ? null : toLongs(n.attrs.ints("axes"));
    } else {
      starts = n.longs(1, "starts");
      ends = n.longs(2, "ends");
      axes = n.has(3) ? n.longs(3, "axes") : null;
      steps = n.has(4) ? n.longs(4, "steps") : null;
    }
    if (ends.length != starts.length || (axes != null && axes.length != starts.length)
        || (steps != null && steps.length != starts.length)) {
      throw n.fail("starts, ends, axes and steps differ in length");
    }
    List<Integer> begin = new ArrayList<>();
    List<Integer> end = new ArrayList<>();
    List<Integer> stride = new ArrayList<>();
    for (int a = 0; a < rank; a++) {
      begin.add(0);
      end.add(s.dim(a));
      stride.add(1);
    }
    int endMask = 0;
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < starts.length; i++) {
      int a = axes == null ? i : OnnxOperators.axis(n, (int) axes[i], rank);
      if (seen[a]) {
        throw n.fail("axis " + a + " sliced twice");
      }
      seen[a] = true;
      long step = steps == null ? 1 : steps[i];
      if (step == 0 || Math.abs(step) > Integer.MAX_VALUE) {
        throw n.fail("invalid step " + step);
      }
      long dim = s.dim(a);
      // ONNX's resolution: negative indices count from the end, then clamp to the valid range,
      // which for a negative step lets end reach -1 (one before the first element).
      long st = starts[i] < 0 ? starts[i] + dim : starts[i];
      long en = ends[i] < 0 ? ends[i] + dim : ends[i];
      if (step > 0) {
        st = clamp(st, 0, dim);
        en = clamp(en, 0, dim);
      } else {
        st = clamp(st, 0, dim - 1);
        en = clamp(en, -1, dim - 1);
      }
      begin.set(a, (int) st);
      stride.set(a, (int) step);
      if (en == -1) {
        // StridedSlice would read -1 as "the last element"; the end mask means "past the first".
        endMask |= 1 << a;
        end.set(a, 0);
      } else {
        end.set(a, (int) en);
      }
    }
    Op.StridedSlice op = new Op.StridedSlice(begin, end, stride, 0, endMask, 0, 0, 0, false);
    n.bind(0, n.ctx.applyLike(op, List.of(x), n.out(0), x));
  }

  static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  static void split(OnnxNode n) {
    int x = n.in(0);
    Shape s = n.ctx.shape(x);
    int rank = s.rank();
    int axis = OnnxOperators.axis(n, n.attrs.intAttr("axis", 0), rank);
    int outs = n.proto.getOutputCount();
    long[] sizes;
    if (n.ctx.opset < 13 && n.attrs.ints("split") != null) {
      sizes = toLongs(n.attrs.ints("split"));
    } else if (n.ctx.opset >= 13 && n.has(1)) {
      sizes = n.longs(1, "split");
    } else {
      int parts = n.attrs.has("num_outputs") ? n.attrs.intAttr("num_outputs", outs) : outs;
      int dim = s.dim(axis);
      // Equal parts; since opset 18 the last part may be smaller (ceil-sized chunks).
      int chunk = (dim + parts - 1) / Math.max(parts, 1);
      if (n.ctx.opset < 18 && dim % Math.max(parts, 1) != 0) {
        throw n.fail("axis of size " + dim + " does not split into " + parts + " equal parts");
      }
      sizes = new long[parts];
      for (int i = 0; i < parts; i++) {
        sizes[i] = Math.max(0, Math.min(chunk, dim - (long) i * chunk));
      }
    }
    if (sizes.length != outs) {
      throw n.fail(sizes.length + " split sizes for " + outs + " outputs");
    }
    long total = 0;
    for (long v : sizes) {
      total += v;
    }
    if (total != s.dim(axis)) {
      throw n.fail("split sizes " + Arrays.toString(sizes) + " do not add up to " + s.dim(axis));
    }
    int offset = 0;
    for (int i = 0; i < outs; i++) {
      List<Integer> begin = new ArrayList<>();
      List<Integer> end = new ArrayList<>();
      List<Integer> stride = new ArrayList<>();
      for (int a = 0; a < rank; a++) {
        begin.add(a == axis ? offset : 0);
        end.add(a == axis ? offset + (int) sizes[i] : s.dim(a));
        stride.add(1);
      }
      offset += (int) sizes[i];
      Op.StridedSlice op = new Op.StridedSlice(begin, end, stride, 0, 0, 0, 0, 0, false);
      n.bind(i, n.ctx.applyLike(op, List.of(x), n.out(i), x));
    }
  }

  static void shape(OnnxNode n) {
    Shape s = n.ctx.shape(n.in(0));
    int rank = s.rank();
    int start = n.attrs.intAttr("start", 0);
    int end = n.attrs.intAttr("end", rank);
    start = (int) clamp(start < 0 ? start + rank : start, 0, rank);
    end = (int) clamp(end < 0 ? end + rank : end, 0, rank);
    long[] dims = new long[Math.max(0, end - start)];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = s.dim(start + i);
    }
    n.bind(0, n.ctx.constant(n.out(0), TensorType.of(DType.INT64, dims.length),
        ConstData.ofLongs(dims)));
  }
}
