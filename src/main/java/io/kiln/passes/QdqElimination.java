package io.kiln.passes;

import static io.kiln.passes.Pattern.any;
import static io.kiln.passes.Pattern.constant;
import static io.kiln.passes.Pattern.op;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Q/DQ elimination: a float operator between Dequantize inputs and a Quantize output (the QDQ
 * form of ONNX and of quantization-aware exports) becomes the integer operator on the quantized
 * tensors, with the Quantize's output type. This is the definition of the QDQ form, not an exact
 * rewrite of its float arithmetic: integer kernels requantize in fixed point, so results may
 * differ from the float simulation by a rounding step.
 */
final class QdqElimination {
  private QdqElimination() {}

  /** Conv2D / DepthwiseConv2D / FullyConnected with dequantized input and weights. */
  static final Rule WEIGHTED = new Rule("qdq-weighted",
      op("q", Op.Quantize.class).in(Op.Quantize.INPUT,
          op("f", Op.Conv2D.class, Op.DepthwiseConv2D.class, Op.FullyConnected.class).oneUse()
              .in(Op.Conv2D.INPUT, op("dqx", Op.Dequantize.class).in(0, any("x")))
              .in(Op.Conv2D.FILTER, op("dqw", Op.Dequantize.class).in(0, constant("w")))),
      QdqElimination::weighted);

  static final Rule BINARY = new Rule("qdq-binary",
      op("q", Op.Quantize.class).in(Op.Quantize.INPUT,
          op("f", Op.Add.class, Op.Sub.class, Op.Mul.class).oneUse()
              .in(Op.Add.LHS, op("dqa", Op.Dequantize.class).in(0, any("a")))
              .in(Op.Add.RHS, op("dqb", Op.Dequantize.class).in(0, any("b")))),
      (m, e) -> replace(m, e, List.of(m.id("a"), m.id("b"))));

  /** Operators whose integer kernels copy values without rescaling (TFLite requires this). */
  private static final Set<Class<? extends Op>> SAME_QUANT = Set.of(Op.MaxPool2D.class,
      Op.AveragePool2D.class, Op.Reshape.class, Op.Transpose.class, Op.Pad.class,
      Op.StridedSlice.class, Op.Relu6.class);

  static final Rule UNARY = new Rule("qdq-unary",
      op("q", Op.Quantize.class).in(Op.Quantize.INPUT,
          op("f", Op.AveragePool2D.class, Op.MaxPool2D.class, Op.Mean.class, Op.Reshape.class,
              Op.Transpose.class, Op.Pad.class, Op.StridedSlice.class, Op.Softmax.class,
              Op.Logistic.class, Op.Tanh.class, Op.Relu.class, Op.Relu6.class,
              Op.LeakyRelu.class).oneUse()
              .in(0, op("dq", Op.Dequantize.class).in(0, any("x")))),
      (m, e) -> {
        Value x = m.value("x");
        Value out = m.value("q");
        if (SAME_QUANT.contains(m.node("f").op().getClass())
            && !x.quant().equals(out.quant())) {
          return Rule.reject("integer " + m.node("f").op().opName() + " keeps its input's"
              + " quantization but the Quantize changes it to " + GraphPrinter.type(out.type()));
        }
        return replace(m, e, List.of(x.id()));
      });

  /** Quantize(Dequantize(x)) with x's own quantization is x: round(s * k / s) is k again. */
  static final Rule PAIR = new Rule("qdq-pair",
      op("q", Op.Quantize.class).in(Op.Quantize.INPUT,
          op("dq", Op.Dequantize.class).in(0, any("x"))),
      (m, e) -> Identities.forward(m.value("q"), m.value("x"), e));

  /** The float node "f" becomes its integer self on {@code inputs}, typed like the Quantize. */
  private static Rule.Outcome replace(Match m, GraphEdit e, List<Integer> inputs) {
    Value out = m.value("q");
    for (int in : inputs) {
      if (e.value(in).dtype() != out.dtype()) {
        return Rule.reject("input " + GraphPrinter.type(e.value(in).type()) + " and output "
            + GraphPrinter.type(out.type()) + " differ in dtype");
      }
    }
    return emit(m, e, inputs);
  }

  private static Rule.Outcome emit(Match m, GraphEdit e, List<Integer> inputs) {
    Value out = m.value("q");
    Op op = m.node("f").op();
    String why = Feasibility.check(e, op, inputs, out.type());
    if (why != null) {
      return Rule.reject("the integer " + op.opName() + " would not run: " + why);
    }
    e.replace(out.id(), e.node(op, inputs, out.name(), out.type()));
    return Rule.rewritten();
  }

  private static Rule.Outcome weighted(Match m, GraphEdit e) {
    Value x = m.value("x");
    Value w = m.value("w");
    Value out = m.value("q");
    Node f = m.node("f");
    if (!(x.quant() instanceof Quantization.PerTensor px)) {
      return Rule.reject("input " + GraphPrinter.type(x.type()) + " is not per-tensor quantized");
    }
    if (x.dtype() != out.dtype()) {
      return Rule.reject("input " + GraphPrinter.type(x.type()) + " and output "
          + GraphPrinter.type(out.type()) + " differ in dtype");
    }
    if (w.dtype() != DType.INT8) {
      return Rule.reject("weights are " + w.dtype().shortName() + ", integer kernels need i8");
    }
    int channelAxis = f.op() instanceof Op.DepthwiseConv2D ? 3 : 0;
    int channels = w.shape().dim(channelAxis);
    if (w.quant() instanceof Quantization.PerAxis pa && pa.axis() != channelAxis) {
      return Rule.reject("weights are quantized along axis " + pa.axis() + ", not the output"
          + " channel axis " + channelAxis);
    }
    double[] biasScales = new double[channels];
    for (int c = 0; c < channels; c++) {
      if (w.quant().zeroPointAt(c) != 0) {
        return Rule.reject("weights have zero point " + w.quant().zeroPointAt(c)
            + " in channel " + c + "; integer kernels need symmetric weights");
      }
      // TFLite's bias scale: the float32 product of the input and weight scales.
      biasScales[c] = px.scale() * w.quant().scaleAt(c);
    }
    int bias = Node.ABSENT;
    if (f.hasInput(Op.Conv2D.BIAS)) {
      Object b = bias(m, e, f.input(Op.Conv2D.BIAS), biasScales, x.dtype(),
          w.quant() instanceof Quantization.PerAxis);
      if (b instanceof String reason) {
        return Rule.reject(reason);
      }
      bias = (Integer) b;
    }
    List<Integer> ins = new ArrayList<>(List.of(x.id(), w.id()));
    if (bias != Node.ABSENT) {
      ins.add(bias);
    }
    return emit(m, e, ins);
  }

  /** An integer bias constant for {@code id} (a new value id), or the reason there is none. */
  private static Object bias(Match m, GraphEdit e, int id, double[] scales, DType act,
      boolean perAxis) {
    Value v = m.graph().value(id);
    double[] real;
    if (v.isConstant() && v.dtype() == DType.FLOAT32) {
      float[] f = v.data().asFloats();
      real = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        real[i] = f[i];
      }
    } else {
      Pattern.Result r = Pattern.matchValue(
          op("dqb", Op.Dequantize.class).in(0, constant("b")), m.index(), id);
      if (!(r instanceof Pattern.Result.Matched bm)) {
        return "bias " + ((Pattern.Result.Mismatch) r).reason();
      }
      Value b = bm.match().value("b");
      long[] q = b.data().asLongs(b.dtype());
      real = new double[q.length];
      for (int i = 0; i < q.length; i++) {
        int c = b.quant() instanceof Quantization.PerAxis ? i : 0;
        real[i] = (double) b.quant().scaleAt(c) * (q[i] - b.quant().zeroPointAt(c));
      }
    }
    if (real.length != scales.length) {
      return "bias has " + real.length + " values for " + scales.length + " channels";
    }
    DType dt = act == DType.INT16 ? DType.INT64 : DType.INT32;
    long[] q = new long[real.length];
    for (int c = 0; c < real.length; c++) {
      double s = real[c] / scales[c];
      // Round half away from zero, as TFLite's converter quantizes biases.
      long r = (long) Math.signum(s) * Math.round(Math.abs(s));
      if (r < dt.min() || r > dt.max()) {
        return "bias " + real[c] + " overflows " + dt.shortName() + " at scale " + scales[c];
      }
      q[c] = r;
    }
    float[] fs = new float[scales.length];
    for (int c = 0; c < fs.length; c++) {
      fs[c] = (float) scales[c];
    }
    Quantization quant = perAxis ? new Quantization.PerAxis(0, fs, new long[fs.length])
        : Quantization.perTensor(fs[0], 0);
    ConstData data = dt == DType.INT64 ? ConstData.ofLongs(q)
        : ConstData.ofInts(dt, java.util.Arrays.stream(q).mapToInt(Math::toIntExact).toArray());
    return e.constant(v.name(), new TensorType(dt, Shape.of(q.length), quant), data);
  }
}
