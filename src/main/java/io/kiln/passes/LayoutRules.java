package io.kiln.passes;

import static io.kiln.passes.Pattern.any;
import static io.kiln.passes.Pattern.op;

import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import java.util.List;

/**
 * Layout normalization: moves transposes down through element-wise operators, which compute the
 * same values in any layout, so that the activations between them stay NHWC and pairs of
 * transposes meet and cancel (see {@link Identities#TRANSPOSE_PAIR}). Exact: only positions move.
 */
final class LayoutRules {
  private LayoutRules() {}

  /** op(Transpose(x)) ⇒ Transpose(op(x)) for element-wise unary operators. */
  static final Rule SINK_UNARY = new Rule("sink-transpose-unary",
      op("u", Op.Relu.class, Op.Relu6.class, Op.Logistic.class, Op.Tanh.class,
          Op.LeakyRelu.class, Op.Quantize.class, Op.Dequantize.class, Op.Clip.class,
          Op.HardSwish.class, Op.HardSigmoid.class, Op.Abs.class, Op.Neg.class)
          .in(0, op("t", Op.Transpose.class).oneUse().in(Op.Transpose.INPUT, any("x"))),
      (m, e) -> {
        Value out = m.value("u");
        Value x = m.value("x");
        if (out.quant() instanceof Quantization.PerAxis
            || x.quant() instanceof Quantization.PerAxis) {
          return Rule.reject("per-axis quantization is tied to the layout");
        }
        TensorType inner = out.type().withShape(x.shape());
        int moved = e.node(m.node("u").op(), List.of(x.id()), out.name(), inner);
        e.replace(out.id(), e.node(m.node("t").op(), List.of(moved), out.name() + "/transposed",
            out.type()));
        return Rule.rewritten();
      });

  /** op(Transpose(p, a), Transpose(p, b)) ⇒ Transpose(p, op(a, b)) when a and b agree in shape. */
  static final Rule SINK_BINARY = new Rule("sink-transpose-binary",
      op("f", Op.Add.class, Op.Sub.class, Op.Mul.class, Op.Maximum.class, Op.Minimum.class)
          .in(0, op("ta", Op.Transpose.class).oneUse().in(Op.Transpose.INPUT, any("a")))
          .in(1, op("tb", Op.Transpose.class).oneUse().in(Op.Transpose.INPUT, any("b"))),
      (m, e) -> {
        if (!m.op("ta", Op.Transpose.class).equals(m.op("tb", Op.Transpose.class))) {
          return Rule.reject("the operands are transposed differently");
        }
        Value a = m.value("a");
        if (!a.shape().equals(m.value("b").shape())) {
          return Rule.reject("the operands broadcast (" + a.shape() + " and "
              + m.value("b").shape() + ")");
        }
        Value out = m.value("f");
        int moved = e.node(m.node("f").op(), List.of(a.id(), m.id("b")), out.name(),
            out.type().withShape(a.shape()));
        e.replace(out.id(), e.node(m.node("ta").op(), List.of(moved), out.name() + "/transposed",
            out.type()));
        return Rule.rewritten();
      });
}
