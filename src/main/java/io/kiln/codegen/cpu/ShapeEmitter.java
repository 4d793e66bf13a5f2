package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.StridedSliceGeometry;
import java.util.List;

/**
 * Emits the data-movement operators Pad and StridedSlice for any element type, as nested loops
 * over the output that read the input element each output element copies (TFLM's reference
 * kernels; the interpreter's gathers compute the same index maps).
 */
final class ShapeEmitter {
  private ShapeEmitter() {}

  static long pad(LayerContext ctx, Op.Pad op) {
    DType dt = ctx.in(Op.Pad.INPUT).dtype();
    ctx.requireOutType(dt);
    if (dt == DType.BOOL) {
      throw ctx.unsupported("bool input");
    }
    Shape in = ctx.in(Op.Pad.INPUT).shape();
    Shape out = ctx.out().shape();
    int rank = out.rank();
    // TFLM pads quantized int8/uint8 tensors with the output zero point, everything else with 0.
    String padValue = dt == DType.INT8 || dt == DType.UINT8
        ? Long.toString(ctx.out().quant().zeroPoint()) : dt == DType.FLOAT32 ? "0.0f" : "0";
    CSource c = ctx.src();
    ctx.beginFunction("pad", new int[] {Op.Pad.INPUT}, new String[] {"in"});
    c.line("int o = 0;");
    int[] strides = in.strides();
    for (int a = 0; a < rank; a++) {
      c.open("for (int i%d = 0; i%d < %d; ++i%d)", a, a, out.dim(a), a);
    }
    StringBuilder inside = new StringBuilder();
    StringBuilder index = new StringBuilder();
    List<Integer> before = op.before();
    for (int a = 0; a < rank; a++) {
      String pos = "(i" + a + CSource.plus(-before.get(a)) + ")";
      inside.append(a == 0 ? "" : " && ").append(pos).append(" >= 0 && ").append(pos)
          .append(" < ").append(in.dim(a));
      index.append(a == 0 ? "" : " + ").append(CSource.times(pos, strides[a]));
    }
    c.line("out[o++] = %s ? in[%s] : (%s)%s;", rank == 0 ? "1" : inside, rank == 0 ? "0" : index,
        CSource.ctype(dt), padValue);
    for (int a = 0; a < rank; a++) {
      c.close();
    }
    ctx.endFunction();
    return 0;
  }

  static long stridedSlice(LayerContext ctx, Op.StridedSlice op) {
    DType dt = ctx.in(Op.StridedSlice.INPUT).dtype();
    ctx.requireOutType(dt);
    Shape in = ctx.in(Op.StridedSlice.INPUT).shape();
    StridedSliceGeometry geo = StridedSliceGeometry.of(op, in);
    if (geo.outputShape().elements() != ctx.out().elements()) {
      throw ctx.unsupported("a slice of " + geo.outputShape() + " into " + ctx.out().shape());
    }
    int rank = in.rank();
    int[] strides = in.strides();
    CSource c = ctx.src();
    ctx.beginFunction("strided_slice", new int[] {Op.StridedSlice.INPUT}, new String[] {"in"});
    if (ctx.out().elements() > 0) {
      c.line("int o = 0;");
      StringBuilder index = new StringBuilder();
      for (int a = 0; a < rank; a++) {
        int step = geo.stride()[a];
        int count = step > 0 ? Math.max(0, ceilDiv(geo.stop()[a] - geo.start()[a], step))
            : Math.max(0, ceilDiv(geo.start()[a] - geo.stop()[a], -step));
        c.open("for (int i%d = 0; i%d < %d; ++i%d)", a, a, count, a);
        String pos = "(" + geo.start()[a] + " + " + CSource.times("i" + a, step) + ")";
        index.append(a == 0 ? "" : " + ").append(CSource.times(pos, strides[a]));
      }
      c.line("out[o++] = in[%s];", rank == 0 ? "0" : index);
      for (int a = 0; a < rank; a++) {
        c.close();
      }
    } else {
      c.line("(void)in;");
      c.line("(void)out;");
    }
    ctx.endFunction();
    return 0;
  }

  /**
   * Transpose as a copy through a table of input indices, the interpreter's own gather map
   * (output axis i walks input axis perm[i]), for any element type.
   */
  static long transpose(LayerContext ctx, Op.Transpose op) {
    if (ctx.in(Op.Transpose.INPUT).dtype() != ctx.out().dtype()) {
      throw ctx.unsupported("an output of another element type");
    }
    Shape in = ctx.in(Op.Transpose.INPUT).shape();
    int rank = in.rank();
    int[] inStrides = in.strides();
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = in.dim(op.perm().get(i));
    }
    int[] idx = new int[ctx.out().elements()];
    int[] pos = new int[rank];
    for (int k = 0; k < idx.length; k++) {
      for (int a = 0; a < rank; a++) {
        idx[k] += pos[a] * inStrides[op.perm().get(a)];
      }
      for (int a = rank - 1; a >= 0; a--) {
        if (++pos[a] < dims[a]) {
          break;
        }
        pos[a] = 0;
      }
    }
    CSource c = ctx.src();
    c.array("static const int32_t " + ctx.name("gather"), idx);
    ctx.beginFunction("transpose", new int[] {Op.Transpose.INPUT}, new String[] {"x"});
    c.line("for (int i = 0; i < %d; ++i) out[i] = x[%s[i]];", idx.length, ctx.name("gather"));
    ctx.endFunction();
    return 0;
  }

  private static int ceilDiv(int a, int b) {
    return a <= 0 ? 0 : (a + b - 1) / b;
  }
}
