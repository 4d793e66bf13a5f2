package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.interp.ActivationSigmoidTable;
import io.kiln.interp.LstmParams;
import io.kiln.ir.Op;
import io.kiln.ir.OpState;
import java.util.List;

/**
 * Emits an UNIDIRECTIONAL_SEQUENCE_LSTM layer in the interpreter's (TFLM's {@code lstm_eval.h})
 * order, with its hidden and cell states in the {@link StateBlock}. The int8 layer computes
 * TFLM's integer path bit for bit, with the int16 sigmoid and tanh of TFLite's interpolated
 * table (emitted as a {@code const} table, so the C has no floating point); the float layer
 * uses {@code expf} and {@code tanhf}, whose last bit the C library decides (checked against
 * the interpreter within a tolerance).
 */
final class LstmEmitter {
  private LstmEmitter() {}

  private static final int GATES = 4;

  static long emit(LayerContext ctx, Op.UnidirectionalLstm op, StateBlock state) {
    LstmParams p = LstmParams.of(ctx.graph(), ctx.node(), op);
    List<OpState.Buffer> buffers = OpState.of(ctx.graph(), ctx.node());
    CSource c = ctx.src();
    String h = state.declare(c, ctx.name("hidden_state"), buffers.get(0));
    String cell = state.declare(c, ctx.name("cell_state"), buffers.get(1));
    String[] w = new String[GATES];
    String[] r = new String[GATES];
    String[] bias = new String[GATES];
    for (int g = 0; g < GATES; g++) {
      w[g] = ctx.constant(Op.UnidirectionalLstm.INPUT_WEIGHTS + g);
      r[g] = ctx.constant(Op.UnidirectionalLstm.RECURRENT_WEIGHTS + g);
      bias[g] = ctx.constant(Op.UnidirectionalLstm.BIAS + g);
    }
    String fc = ctx.name("fc");
    String sigmoid = ctx.name("sigmoid");
    String tanh = ctx.name("tanh");
    String act = p.isFloat() ? "float" : "int8_t";
    if (p.isFloat()) {
      floatHelpers(c, fc, sigmoid);
    } else {
      intHelpers(c, ctx.name("sigmoid_table"), fc, sigmoid, tanh);
    }
    int u = p.units();
    ctx.beginFunction(p.isFloat() ? "lstm_f32" : "lstm", new int[] {Op.UnidirectionalLstm.INPUT},
        new String[] {"x"});
    String gt = p.isFloat() ? "float" : "int16_t";
    c.line("static const %s *const w[4] = {%s, %s, %s, %s};", act, w[0], w[1], w[2], w[3]);
    c.line("static const %s *const r[4] = {%s, %s, %s, %s};", act, r[0], r[1], r[2], r[3]);
    c.line("static const %s *const bias[4] = {%s, %s, %s, %s};", p.isFloat() ? "float"
        : "int32_t", bias[0], bias[1], bias[2], bias[3]);
    if (!p.isFloat()) {
      LstmParams.Int q = p.quant();
      c.line("/* Per gate: the input and hidden offsets, the weights offsets and the two FC");
      c.line("   stages' multipliers and shifts onto Q3.12. */");
      c.line("static const int32_t xoff[4] = {%s};", offsets(q.gateInput(), true));
      c.line("static const int32_t woff[4] = {%s};", offsets(q.gateInput(), false));
      c.line("static const int32_t wmul[4] = {%s};", mults(q.gateInput(), true));
      c.line("static const int32_t wsh[4] = {%s};", mults(q.gateInput(), false));
      c.line("static const int32_t hoff[4] = {%s};", offsets(q.gateRecurrent(), true));
      c.line("static const int32_t roff[4] = {%s};", offsets(q.gateRecurrent(), false));
      c.line("static const int32_t rmul[4] = {%s};", mults(q.gateRecurrent(), true));
      c.line("static const int32_t rsh[4] = {%s};", mults(q.gateRecurrent(), false));
    }
    c.line("%s gate[4][%d];", gt, u);
    c.open("for (int b = 0; b < %d; ++b)", p.batch());
    c.open("for (int t = 0; t < %d; ++t)", p.time());
    c.line("const int row = %s;", p.timeMajor() ? "t * " + p.batch() + " + b"
        : "b * " + p.time() + " + t");
    c.line("const %s *xr = x + row * %d;", act, p.input());
    c.line("%s *h = %s + b * %d;", act, h, u);
    c.line("%s *c = %s + b * %d;", gt, cell, u);
    c.line("/* The gates input, forget, cell, output, all from the previous hidden state. */");
    c.open("for (int g = 0; g < 4; ++g)");
    c.open("for (int k = 0; k < %d; ++k)", u);
    if (p.isFloat()) {
      c.line("const float pre = %s(w[g] + k * %d, xr, %d, bias[g][k]) + %s(r[g] + k * %d, h,"
          + " %d, 0.0f);", fc, p.input(), p.input(), fc, u, u);
      c.line("gate[g][k] = g == 2 ? tanhf(pre) : %s(pre);", sigmoid);
    } else {
      c.line("const int32_t pre = %s(w[g] + k * %d, xr, %d, xoff[g], woff[g], bias[g][k],"
          + " wmul[g], wsh[g])", fc, p.input(), p.input());
      c.line("    + %s(r[g] + k * %d, h, %d, hoff[g], roff[g], 0, rmul[g], rsh[g]);", fc, u, u);
      c.line("const int32_t sat = pre < -32768 ? -32768 : pre > 32767 ? 32767 : pre;");
      c.line("/* The cell gate's tanh takes Q3.12 as the sigmoids do: input times 3. */");
      c.line("gate[g][k] = g == 2 ? %s(sat, 3, 0) : %s(sat);", tanh, sigmoid);
    }
    c.close();
    c.close();
    c.open("for (int k = 0; k < %d; ++k)", u);
    if (p.isFloat()) {
      c.line("float v = kiln_f32_clamp(gate[1][k] * c[k]) + kiln_f32_clamp(gate[0][k] *"
          + " gate[2][k]);");
      if (p.cellClip() > 0) {
        String clip = CSource.floatLiteral(p.cellClip());
        String neg = CSource.floatLiteral(-p.cellClip());
        c.line("v = v < %s ? v : %s;", clip, clip);
        c.line("v = v < %s ? %s : v;", neg, neg);
      }
      c.line("c[k] = v;");
    } else {
      LstmParams.Int q = p.quant();
      c.line("const int32_t kept = kiln_requant(gate[1][k] * c[k], %d, %d, 0, -32768, 32767);",
          q.forgetTimesCell().multiplier(), q.forgetTimesCell().shift());
      c.line("const int32_t added = kiln_requant(gate[0][k] * gate[2][k], %d, %d, 0, -32768,"
          + " 32767);", q.inputTimesCellGate().multiplier(), q.inputTimesCellGate().shift());
      c.line("int32_t v = kept + added;");
      c.line("v = v < -32768 ? -32768 : v > 32767 ? 32767 : v;");
      if (p.cellClip() > 0) {
        c.line("v = v < %d ? v : %d;", q.quantizedCellClip(), q.quantizedCellClip());
        c.line("v = v < %d ? %d : v;", (short) -q.quantizedCellClip(),
            (short) -q.quantizedCellClip());
      }
      c.line("c[k] = (int16_t)v;");
    }
    c.close();
    c.open("for (int k = 0; k < %d; ++k)", u);
    if (p.isFloat()) {
      c.line("h[k] = kiln_f32_clamp(tanhf(c[k]) * gate[3][k]);");
    } else {
      LstmParams.Int q = p.quant();
      c.line("h[k] = (int8_t)kiln_requant(%s(c[k], %d, %d) * gate[3][k], %d, %d, %d, -128,"
          + " 127);", tanh, q.tanhMultiplier(), q.tanhShift(),
          q.outputTimesTanh().multiplier(), q.outputTimesTanh().shift(), q.hiddenZeroPoint());
    }
    c.close();
    c.line("memcpy(out + row * %d, h, %d * sizeof h[0]);", u, u);
    c.close();
    c.close();
    ctx.endFunction();
    return 4L * p.batch() * p.time() * u * (p.input() + u);
  }

  private static String offsets(LstmParams.Fc[] f, boolean input) {
    StringBuilder sb = new StringBuilder();
    for (int g = 0; g < GATES; g++) {
      sb.append(g == 0 ? "" : ", ").append(input ? f[g].inputOffset() : f[g].weightsOffset());
    }
    return sb.toString();
  }

  private static String mults(LstmParams.Fc[] f, boolean multiplier) {
    StringBuilder sb = new StringBuilder();
    for (int g = 0; g < GATES; g++) {
      sb.append(g == 0 ? "" : ", ")
          .append(multiplier ? f[g].scale().multiplier() : f[g].scale().shift());
    }
    return sb.toString();
  }

  /** The int16 table activations and the int8 -> int16 fully-connected row of TFLM. */
  private static void intHelpers(CSource c, String table, String fc, String sigmoid,
      String tanh) {
    int[] t = new int[ActivationSigmoidTable.SIZE];
    for (int i = 0; i < t.length; i++) {
      t[i] = ActivationSigmoidTable.at(i);
    }
    c.line("/* TFLite's sigmoid(i / 24) in unsigned 0.16, which its int16 sigmoid and tanh"
        + " interpolate. */");
    c.array("static const uint16_t " + table, t);
    c.line("/* TFLite's int16 sigmoid of a Q3.12 value, Q0.15 out: the input times 3, then the");
    c.line("   table at 9 fractional bits. */");
    c.open("static int16_t %s(int32_t x)", sigmoid);
    c.line("const int32_t in = x * 3;");
    c.line("const uint32_t a = (uint32_t)(in < 0 ? -in : in);");
    c.line("uint32_t v = 0x7FFFu << 10;");
    c.open("if ((a >> 9) < 255)");
    c.line("const uint32_t lo = %s[a >> 9], hi = %s[(a >> 9) + 1];", table, table);
    c.line("v = (lo << 9) + (a & 0x1FFu) * (hi - lo);");
    c.close();
    c.line("v = in >= 0 ? v + (1u << 9) : (1u << 25) - v + (1u << 9) - 1u;");
    c.line("return (int16_t)(v >> 10);");
    c.close().blank();
    c.line("/* TFLite's int16 tanh: the input rescaled by (x * mult + round) >> shift, then");
    c.line("   2 * sigmoid(2x) - 1 on the table at 8 fractional bits. */");
    c.open("static int16_t %s(int32_t x, int32_t mult, int shift)", tanh);
    c.line("const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;");
    c.line("const int32_t in = (x * mult + round) >> shift;");
    c.line("const uint32_t a = (uint32_t)(in < 0 ? -in : in);");
    c.line("int32_t v = 0xFFFF << 8;");
    c.open("if ((a >> 8) < 255)");
    c.line("const uint32_t lo = %s[a >> 8], hi = %s[(a >> 8) + 1];", table, table);
    c.line("v = (int32_t)((lo << 8) + (a & 0xFFu) * (hi - lo));");
    c.close();
    c.line("v = in >= 0 ? v - (1 << 23) + (1 << 7) : -v + (1 << 23) + (1 << 7) - 1;");
    c.line("/* >> of a negative int is an arithmetic shift on every compiler Kiln targets. */");
    c.line("return (int16_t)(v >> 8);");
    c.close().blank();
    c.line("/* One row of TFLite's int8 FullyConnected to int16 (zero point 0); the sum wraps");
    c.line("   in uint32 like TFLM's int32 on hardware, without C's signed overflow. */");
    c.open("static int32_t %s(const int8_t *w, const int8_t *x, int depth, int32_t xoff,"
        + " int32_t woff, int32_t bias, int32_t mult, int shift)", fc);
    c.line("uint32_t acc = 0;");
    c.line("for (int d = 0; d < depth; ++d) acc += (uint32_t)((w[d] + woff) * (x[d] + xoff));");
    c.line("acc += (uint32_t)bias;");
    c.line("return kiln_requant((int32_t)acc, mult, shift, 0, -32768, 32767);");
    c.close().blank();
  }

  /** TFLite's float logistic (with its cutoffs), the FLT_MAX clamp and a float FC row. */
  private static void floatHelpers(CSource c, String fc, String sigmoid) {
    String max = CSource.floatLiteral(Float.MAX_VALUE);
    String min = CSource.floatLiteral(-Float.MAX_VALUE);
    c.line("#ifndef KILN_F32_CLAMP");
    c.line("#define KILN_F32_CLAMP");
    c.line("/* TFLite's clamp of float ops without activation: [-FLT_MAX, FLT_MAX]. */");
    c.open("static float kiln_f32_clamp(float v)");
    c.line("v = v < %s ? %s : v;", min, min);
    c.line("return %s < v ? %s : v;", max, max);
    c.close();
    c.line("#endif").blank();
    c.open("static float %s(float v)", sigmoid);
    c.line("if (v > 16.619047164916992188f) return 1.0f;");
    c.line("if (v < -9.0f) return expf(v);");
    c.line("return 1.0f / (1.0f + expf(-v));");
    c.close().blank();
    c.open("static float %s(const float *w, const float *x, int depth, float bias)", fc);
    c.line("float total = 0.0f;");
    c.line("for (int d = 0; d < depth; ++d) total += x[d] * w[d];");
    c.line("return kiln_f32_clamp(total + bias);");
    c.close().blank();
  }
}
