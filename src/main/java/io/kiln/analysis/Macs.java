package io.kiln.analysis;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;

/**
 * Multiply-accumulate counts per operator, the unit accelerators and MLPerf Tiny quote compute
 * in. Only operators that multiply activations by weights count; pooling, element-wise ops,
 * softmax and data movement are 0 MACs by this convention.
 */
public final class Macs {
  private Macs() {}

  public static long of(Graph g, Node n) {
    Shape out = g.output(n).shape();
    return switch (n.op()) {
      // Each output element sums KH*KW*(C/groups) products; the OHWI filter's last dimension is
      // exactly C/groups.
      case Op.Conv2D c -> {
        Shape f = g.input(n, Op.Conv2D.FILTER).shape();
        yield (long) out.elements() * f.dim(1) * f.dim(2) * f.dim(3);
      }
      // Each output element reads one KH x KW window of one input channel.
      case Op.DepthwiseConv2D d -> {
        Shape f = g.input(n, Op.DepthwiseConv2D.FILTER).shape();
        yield (long) out.elements() * f.dim(1) * f.dim(2);
      }
      // batch x in x out: every output element is a dot product over the weights' depth.
      case Op.FullyConnected fc -> {
        Shape w = g.input(n, Op.FullyConnected.WEIGHTS).shape();
        yield (long) out.elements() * w.dim(1);
      }
      // Scatter form: every input element is multiplied into a KH x KW x OutC patch.
      case Op.TransposeConv t -> {
        Shape in = g.input(n, Op.TransposeConv.INPUT).shape();
        Shape f = g.input(n, Op.TransposeConv.FILTER).shape();
        yield (long) in.elements() * f.dim(1) * f.dim(2) * f.dim(0);
      }
      case Op.AveragePool2D p -> 0L;
      case Op.MaxPool2D p -> 0L;
      case Op.Mean m -> 0L;
      case Op.Add a -> 0L;
      case Op.Sub s -> 0L;
      case Op.Mul m -> 0L;
      case Op.Softmax s -> 0L;
      case Op.Quantize q -> 0L;
      case Op.Dequantize d -> 0L;
      case Op.LeakyRelu l -> 0L;
      case Op.Relu r -> 0L;
      case Op.Relu6 r -> 0L;
      case Op.Logistic l -> 0L;
      case Op.Tanh t -> 0L;
      case Op.Reshape r -> 0L;
      case Op.Pad p -> 0L;
      case Op.StridedSlice s -> 0L;
      case Op.Concatenation c -> 0L;
      case Op.Transpose t -> 0L;
      // Every output element is a dot product over the shared inner dimension.
      case Op.MatMul mm -> {
        io.kiln.ir.Shape a = g.input(n, Op.MatMul.LHS).shape();
        yield (long) out.elements() * a.dim(-1);
      }
      case Op.Div d -> 0L;
      case Op.Maximum m -> 0L;
      case Op.Minimum m -> 0L;
      case Op.Pow pw -> 0L;
      case Op.PRelu pr -> 0L;
      case Op.Clip c -> 0L;
      case Op.HardSigmoid h -> 0L;
      case Op.HardSwish h -> 0L;
      case Op.Elu e -> 0L;
      case Op.Abs a -> 0L;
      case Op.Neg ng -> 0L;
      case Op.Exp e -> 0L;
      case Op.Log l -> 0L;
      case Op.Sqrt s -> 0L;
      case Op.Identity i -> 0L;
      case Op.Cast c -> 0L;
      case Op.ShapeOf sh -> 0L;
      case Op.Gather ga -> 0L;
      case Op.Resize rs -> 0L;
      case Op.BatchMatMul bm -> {
        Shape a = g.input(n, Op.BatchMatMul.LHS).shape();
        yield (long) out.elements() * (bm.adjX() ? a.dim(-2) : a.dim(-1));
      }
      case Op.Signal s -> 0L;
      // The feature projection and the time weighting: filters * (input + memory) per batch.
      case Op.Svdf s -> {
        io.kiln.ir.Shape wf = g.input(n, Op.Svdf.WEIGHTS_FEATURE).shape();
        io.kiln.ir.Shape wt = g.input(n, Op.Svdf.WEIGHTS_TIME).shape();
        yield (long) g.input(n, Op.Svdf.INPUT).shape().dim(0) * wf.dim(0)
            * (wf.dim(1) + wt.dim(1));
      }
      // Four gates, each an input and a recurrent matrix-vector product, per batch and step.
      case Op.UnidirectionalLstm l -> {
        io.kiln.ir.Shape x = g.input(n, Op.UnidirectionalLstm.INPUT).shape();
        int units = l.hiddenState().shape().dim(1);
        yield 4L * x.dim(0) * x.dim(1) * units * (x.dim(2) + units);
      }
      case Op.BatchNorm b -> 0L;
    };
  }
}
