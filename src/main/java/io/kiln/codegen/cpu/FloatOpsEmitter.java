package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.quant.ActivationRange;

/**
 * Emits the float32 layers around the float convolutions: average and max pooling (windows
 * clipped to the input, as in TFLM), softmax over the last axis, and the standalone Relu, Relu6,
 * Logistic and Tanh. Sums run in the interpreter's order; exponentials and tanh go through the
 * double-precision libm functions and are rounded to float once, as the interpreter does with
 * {@code StrictMath}, so the two agree except where the two libms round a double differently.
 */
final class FloatOpsEmitter {
  private FloatOpsEmitter() {}

  static long averagePool(LayerContext ctx, Op.AveragePool2D op) {
    pool(ctx, true, op.filterH(), op.filterW(), op.strideH(), op.strideW(), op.pads(), op.act());
    return 0;
  }

  static long maxPool(LayerContext ctx, Op.MaxPool2D op) {
    pool(ctx, false, op.filterH(), op.filterW(), op.strideH(), op.strideW(), op.pads(), op.act());
    return 0;
  }

  private static void pool(LayerContext ctx, boolean average, int fh, int fw, int sh, int sw,
      Op.Pads pads, Op.Activation act) {
    ctx.requireType(0, DType.FLOAT32);
    ctx.requireOutType(DType.FLOAT32);
    Shape in = ctx.in(0).shape();
    Shape out = ctx.out().shape();
    int ih = in.dim(1);
    int iw = in.dim(2);
    int ch = in.dim(3);
    int oh = out.dim(1);
    int ow = out.dim(2);
    PoolEmitter.checkWindowsNonEmpty(ctx, oh, sh, pads.top(), fh, ih);
    PoolEmitter.checkWindowsNonEmpty(ctx, ow, sw, pads.left(), fw, iw);
    ActivationRange.Floats range = ActivationRange.Floats.of(act, ctx.where());
    CSource c = ctx.src();
    String max = average ? null : javaMax(ctx);
    ctx.beginFunction(average ? "average_pool_f32" : "max_pool_f32", new int[] {0},
        new String[] {"in"});
    c.open("for (int b = 0; b < %d; ++b)", in.dim(0));
    c.open("for (int oy = 0; oy < %d; ++oy)", oh);
    c.line("const int iy0 = %s%s;", CSource.times("oy", sh), CSource.plus(-pads.top()));
    c.line("const int fy_lo = iy0 < 0 ? -iy0 : 0;");
    c.line("const int fy_hi = %d - iy0 < %d ? %d - iy0 : %d;", ih, fh, ih, fh);
    c.open("for (int ox = 0; ox < %d; ++ox)", ow);
    c.line("const int ix0 = %s%s;", CSource.times("ox", sw), CSource.plus(-pads.left()));
    c.line("const int fx_lo = ix0 < 0 ? -ix0 : 0;");
    c.line("const int fx_hi = %d - ix0 < %d ? %d - ix0 : %d;", iw, fw, iw, fw);
    c.open("for (int ch = 0; ch < %d; ++ch)", ch);
    c.line("float acc = %s;", average ? "0.0f" : CSource.floatLiteral(-Float.MAX_VALUE));
    c.line("float count = 0.0f;");
    c.open("for (int fy = fy_lo; fy < fy_hi; ++fy)");
    c.open("for (int fx = fx_lo; fx < fx_hi; ++fx)");
    c.line("const float x = in[((b * %d + iy0 + fy) * %d + ix0 + fx) * %d + ch];", ih, iw, ch);
    c.line(average ? "acc += x;" : "acc = " + max + "(acc, x);");
    c.line("count += 1.0f;");
    c.close().close();
    c.line("(void)count;");
    if (average) {
      c.line("/* Every window holds at least one input (checked at compile time). */");
      c.line("acc = acc / count;");
    }
    FloatConvEmitter.clamp(c, range, "acc", "out[((b * %d + oy) * %d + ox) * %d + ch]"
        .formatted(oh, ow, ch));
    c.close().close().close().close();
    ctx.endFunction();
  }

  /** Softmax over the last axis: the maximum, the exponentials and their sum, then divisions. */
  static long softmax(LayerContext ctx, Op.Softmax op) {
    ctx.requireType(Op.Softmax.INPUT, DType.FLOAT32);
    ctx.requireOutType(DType.FLOAT32);
    Shape s = ctx.in(Op.Softmax.INPUT).shape();
    int depth = s.rank() == 0 ? 1 : s.dim(s.rank() - 1);
    int rows = depth == 0 ? 0 : ctx.out().elements() / depth;
    CSource c = ctx.src();
    String max = javaMax(ctx);
    ctx.beginFunction("softmax_f32", new int[] {Op.Softmax.INPUT}, new String[] {"in"});
    c.open("for (int r = 0; r < %d; ++r)", rows);
    c.line("const float *x = in + r * %d;", depth);
    c.line("float *o = out + r * %d;", depth);
    c.line("float max = %s;", CSource.floatLiteral(-Float.MAX_VALUE));
    c.open("for (int i = 0; i < %d; ++i)", depth);
    c.line("max = %s(max, x[i]);", max);
    c.close();
    c.line("float sum = 0.0f;");
    c.open("for (int i = 0; i < %d; ++i)", depth);
    c.line("const float e = (float)exp((double)((x[i] - max) * %s));",
        CSource.floatLiteral(op.beta()));
    c.line("o[i] = e;");
    c.line("sum += e;");
    c.close();
    c.open("for (int i = 0; i < %d; ++i)", depth);
    c.line("o[i] = o[i] / sum;");
    c.close();
    c.close();
    ctx.endFunction();
    return 0;
  }

  /**
   * Declares the layer's float maximum with the interpreter's (Java's {@code Math.max})
   * semantics, which differ from C's {@code fmaxf}: NaN wins, and +0.0 beats -0.0.
   */
  private static String javaMax(LayerContext ctx) {
    String name = ctx.name("max");
    CSource c = ctx.src();
    c.open("static inline float %s(float a, float b)", name);
    c.line("if (a != a) return a;");
    c.open("if (a == 0.0f && b == 0.0f)");
    c.line("uint32_t bits;");
    c.line("memcpy(&bits, &a, sizeof bits);");
    c.line("return bits >> 31 ? b : a;");
    c.close();
    c.line("return a >= b ? a : b;");
    c.close().blank();
    return name;
  }

  /**
   * Float Mean over any axes as the interpreter computes it: every input element, in row-major
   * order, added in float to its output's sum, then each sum divided by the element count.
   */
  static long mean(LayerContext ctx, Op.Mean op) {
    ctx.requireType(Op.Mean.INPUT, DType.FLOAT32);
    ctx.requireOutType(DType.FLOAT32);
    Shape s = ctx.in(Op.Mean.INPUT).shape();
    int rank = s.rank();
    boolean[] reduced = new boolean[rank];
    long count = 1;
    for (int a : op.axes()) {
      if (!reduced[a]) {
        reduced[a] = true;
        count *= s.dim(a);
      }
    }
    long[] outStride = new long[rank];
    long stride = 1;
    for (int d = rank - 1; d >= 0; d--) {
      if (!reduced[d]) {
        outStride[d] = stride;
        stride *= s.dim(d);
      }
    }
    CSource c = ctx.src();
    ctx.beginFunction("mean_f32", new int[] {Op.Mean.INPUT}, new String[] {"in"});
    int n = ctx.out().elements();
    c.line("for (int o = 0; o < %d; ++o) out[o] = 0.0f;", n);
    if (count > 0 && s.elements() > 0) {
      c.line("const float *x = in;");
      StringBuilder at = new StringBuilder("0");
      for (int d = 0; d < rank; d++) {
        c.open("for (int i%d = 0; i%d < %d; ++i%d)", d, d, s.dim(d), d);
        if (outStride[d] != 0) {
          at.append(" + ").append(CSource.times("i" + d, outStride[d]));
        }
      }
      c.line("out[%s] += *x++;", at);
      for (int d = 0; d < rank; d++) {
        c.close();
      }
      c.line("for (int o = 0; o < %d; ++o) out[o] = out[o] / %s;", n,
          CSource.floatLiteral((float) count));
    }
    ctx.endFunction();
    return 0;
  }

  /** The float activations that are layers of their own. */
  enum Unary {
    RELU, RELU6, LOGISTIC, TANH
  }

  static long unary(LayerContext ctx, Unary kind) {
    ctx.requireType(0, DType.FLOAT32);
    ctx.requireOutType(DType.FLOAT32);
    CSource c = ctx.src();
    ctx.beginFunction(kind.name().toLowerCase(java.util.Locale.ROOT) + "_f32", new int[] {0},
        new String[] {"in"});
    c.open("for (int i = 0; i < %d; ++i)", ctx.out().elements());
    c.line("const float v = in[i];");
    switch (kind) {
      case RELU -> c.line("out[i] = v < 0.0f ? 0.0f : v;");
      case RELU6 -> c.line("out[i] = v > 6.0f ? 6.0f : v < 0.0f ? 0.0f : v;");
      // TFLite's cutoffs: above the upper one the result is 1, below the lower one exp(v).
      case LOGISTIC -> c.line("out[i] = v > 16.619047164916992188f ? 1.0f : v < -9.0f"
          + " ? (float)exp((double)v) : 1.0f / (1.0f + (float)exp((double)-v));");
      case TANH -> c.line("out[i] = (float)tanh((double)v);");
    }
    c.close();
    ctx.endFunction();
    return 0;
  }

  /** Whether the generated model needs {@code <math.h>} for a float layer of this family. */
  static boolean usesMath(Op op) {
    return op instanceof Op.Softmax || op instanceof Op.Logistic || op instanceof Op.Tanh;
  }
}
