package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.Op;
import io.kiln.ir.OpState;
import io.kiln.quant.SvdfParams;

/**
 * Emits an SVDF layer in the interpreter's (TFLM's reference) order, with its activation state
 * in the {@link StateBlock}: shift the state, write each filter's newest step, weigh the memory,
 * reduce the rank, add the bias and apply the output stage. Integer sums are kept in uint32 so
 * that they wrap exactly like the interpreter's (and TFLM's on hardware) without C's signed
 * overflow; float sums run in the same order, so with {@code -std=c99} (no contracted
 * multiply-adds) the result is the interpreter's bit for bit.
 */
final class SvdfEmitter {
  private SvdfEmitter() {}

  static long emit(LayerContext ctx, Op.Svdf op, StateBlock state) {
    SvdfParams d = SvdfParams.of(ctx.graph(), ctx.node(), op);
    boolean floats = d.isFloat();
    SvdfParams.Int q = d.quant();
    String wf = ctx.constant(Op.Svdf.WEIGHTS_FEATURE);
    String wt = ctx.constant(Op.Svdf.WEIGHTS_TIME);
    String bias = ctx.has(Op.Svdf.BIAS) ? ctx.constant(Op.Svdf.BIAS) : null;
    CSource c = ctx.src();
    OpState.Buffer buffer = OpState.of(ctx.graph(), ctx.node()).get(0);
    String s = state.declare(c, ctx.name("activation_state"), buffer);
    String st = CSource.ctype(buffer.type().dtype());
    int m = d.memory();
    int n = d.batch() * d.filters() * m;
    ctx.beginFunction(floats ? "svdf_f32" : "svdf", new int[] {Op.Svdf.INPUT},
        new String[] {"x"});
    c.line("/* The flat state shifts by one: each row's oldest step takes the next row's, which");
    c.line("   the feature stage then overwrites. */");
    c.line("memmove(%s, %s + 1, %d * sizeof %s[0]);", s, s, n - 1, s);
    c.open("for (int b = 0; b < %d; ++b)", d.batch());
    c.open("for (int r = 0; r < %d; ++r)", d.filters());
    c.line("const %s *w = %s + r * %d;", floats ? "float" : "int8_t", wf, d.input());
    c.line("const %s *xb = x + b * %d;", floats ? "float" : "int8_t", d.input());
    if (floats) {
      c.line("float dot = 0.0f;");
      c.line("for (int i = 0; i < %d; ++i) dot += w[i] * xb[i];", d.input());
      c.line("%s[(b * %d + r) * %d + %d] = dot;", s, d.filters(), m, m - 1);
    } else {
      c.line("uint32_t dot = 0;");
      c.line("for (int i = 0; i < %d; ++i) dot += (uint32_t)(w[i] * (xb[i]%s));", d.input(),
          CSource.plus(-q.inputZp()));
      c.line("/* Requantized to the state's scale and range; the zero point is added after the");
      c.line("   clamp and the sum narrowed to the state's type, as TFLM does. */");
      c.line("%s[(b * %d + r) * %d + %d] = (%s)(kiln_requant((int32_t)dot, %d, %d, 0, %d, %d)%s);",
          s, d.filters(), m, m - 1, st, q.feature().multiplier(), q.feature().shift(),
          q.stateMin(), q.stateMax(), CSource.plus(q.stateZp()));
    }
    c.close();
    c.close();
    c.open("for (int b = 0; b < %d; ++b)", d.batch());
    c.open("for (int u = 0; u < %d; ++u)", d.units());
    String acc = floats ? "float" : "uint32_t";
    c.line("%s acc = %s;", acc, bias == null ? (floats ? "0.0f" : "0")
        : floats ? bias + "[u]" : "(uint32_t)" + bias + "[u]");
    c.open("for (int k = 0; k < %d; ++k)", d.rank());
    c.line("const int f = u * %d + k;", d.rank());
    c.line("const %s *sf = %s + (b * %d + f) * %d;", st, s, d.filters(), m);
    c.line("const %s *wtf = %s + f * %d;", st, wt, m);
    if (floats) {
      c.line("float t = 0.0f;");
      c.line("for (int j = 0; j < %d; ++j) t += wtf[j] * sf[j];", m);
    } else {
      c.line("uint32_t t = 0;");
      c.line("/* The product may reach 2^31: formed in 64 bits, wrapped to 32 like int32. */");
      c.line("for (int j = 0; j < %d; ++j) t += (uint32_t)((int64_t)wtf[j] * (sf[j]%s));", m,
          CSource.plus(-q.stateZp()));
    }
    c.line("acc += t;");
    c.close();
    if (floats) {
      activation(c, op.act());
      c.line("out[b * %d + u] = acc;", d.units());
    } else {
      c.line("out[b * %d + u] = (int8_t)kiln_requant((int32_t)acc, %d, %d, %d, -128, 127);",
          d.units(), q.output().multiplier(), q.output().shift(), q.outputZp());
    }
    c.close();
    c.close();
    ctx.endFunction();
    return (long) d.batch() * d.filters() * (d.input() + m);
  }

  /** TFLM's {@code ActivationValFloat}, with std::max's and std::min's argument order. */
  private static void activation(CSource c, Op.Activation act) {
    switch (act) {
      case NONE -> { }
      case RELU -> c.line("acc = 0.0f < acc ? acc : 0.0f;");
      case RELU6 -> c.line("acc = 6.0f < acc ? 6.0f : acc;").line("acc = 0.0f < acc ? acc : 0.0f;");
      case RELU_N1_TO_1 -> c.line("acc = 1.0f < acc ? 1.0f : acc;")
          .line("acc = -1.0f < acc ? acc : -1.0f;");
      default -> throw new IllegalStateException("refused by floatActivation: " + act);
    }
  }
}
