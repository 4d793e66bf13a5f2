package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Requant;
import io.kiln.ir.RequantScheme;

/** Dispatches each operator to the small kernel family that prepares and executes it. */
final class Kernels {
  private Kernels() {}

  static Kernel prepare(Graph g, Node n) {
    if (Op.requant(n.op()).orElse(Requant.TFLITE) instanceof Requant.Shift s) {
      return shift(g, n, s);
    }
    return switch (n.op()) {
      case Op.Conv2D op -> g.output(n).dtype() == io.kiln.ir.DType.INT32
          ? AccumulatorKernels.conv2d(g, n, op) : ConvKernels.conv2d(g, n, op);
      case Op.DepthwiseConv2D op -> ConvKernels.depthwise(g, n, op);
      case Op.TransposeConv op -> ConvKernels.transposeConv(g, n, op);
      case Op.FullyConnected op -> FullyConnectedKernel.prepare(g, n, op);
      case Op.AveragePool2D op -> PoolKernels.average(g, n, op);
      case Op.MaxPool2D op -> PoolKernels.max(g, n, op);
      case Op.Mean op -> MeanKernel.prepare(g, n, op);
      case Op.Add op -> ElementwiseKernels.add(g, n, op);
      case Op.Sub op -> ElementwiseKernels.sub(g, n, op);
      case Op.Mul op -> ElementwiseKernels.mul(g, n, op);
      case Op.Quantize op -> op.scheme() == RequantScheme.FLOAT_HALF_EVEN
          ? HalfEvenQuantizeKernel.prepare(g, n, op) : QuantizeKernels.quantize(g, n, op);
      case Op.Dequantize op -> g.input(n, 0).quant() instanceof io.kiln.ir.Quantization.PerAxis
          || g.input(n, 0).dtype() == io.kiln.ir.DType.INT32
          ? HalfEvenQuantizeKernel.dequantize(g, n, op) : QuantizeKernels.dequantize(g, n, op);
      case Op.Softmax op -> SoftmaxKernel.prepare(g, n, op);
      case Op.Logistic op -> ActivationKernels.logistic(g, n, op);
      case Op.Tanh op -> ActivationKernels.tanh(g, n, op);
      case Op.LeakyRelu op -> ActivationKernels.leakyRelu(g, n, op);
      case Op.Relu op -> ActivationKernels.relu(g, n, op);
      case Op.Relu6 op -> ActivationKernels.relu6(g, n, op);
      case Op.Reshape op -> ShapeKernels.reshape(g, n, op);
      case Op.Pad op -> ShapeKernels.pad(g, n, op);
      case Op.StridedSlice op -> ShapeKernels.stridedSlice(g, n, op);
      case Op.Concatenation op -> ShapeKernels.concatenation(g, n, op);
      case Op.Transpose op -> ShapeKernels.transpose(g, n, op);
      case Op.Div op -> MathKernels.div(g, n, op);
      case Op.Maximum op -> MathKernels.maximum(g, n, op);
      case Op.Minimum op -> MathKernels.minimum(g, n, op);
      case Op.Pow op -> MathKernels.pow(g, n, op);
      case Op.PRelu op -> MathKernels.prelu(g, n, op);
      case Op.Clip op -> MathKernels.clip(g, n, op);
      case Op.HardSigmoid op -> MathKernels.hardSigmoid(g, n, op);
      case Op.HardSwish op -> MathKernels.hardSwish(g, n, op);
      case Op.Elu op -> MathKernels.elu(g, n, op);
      case Op.Abs op -> MathKernels.abs(g, n, op);
      case Op.Neg op -> MathKernels.neg(g, n, op);
      case Op.Exp op -> MathKernels.exp(g, n, op);
      case Op.Log op -> MathKernels.log(g, n, op);
      case Op.Sqrt op -> MathKernels.sqrt(g, n, op);
      case Op.Identity op -> MathKernels.identity(g, n, op);
      case Op.BatchNorm op -> BatchNormKernel.prepare(g, n, op);
      case Op.MatMul op -> AccumulatorKernels.matmul(g, n, op);
      case Op.Cast op -> io.kiln.interp.signal.CastKernel.prepare(g, n);
      case Op.Signal op -> io.kiln.interp.signal.SignalKernels.prepare(g, n, op.kind());
      case Op.Svdf op -> SvdfKernel.prepare(g, n, op);
      case Op.UnidirectionalLstm op -> LstmKernel.prepare(g, n, op);
      case Op.ShapeOf op -> IndexKernels.shapeOf(g, n);
      case Op.Gather op -> IndexKernels.gather(g, n, op);
      case Op.Resize op -> IndexKernels.resize(g, n, op);
      case Op.BatchMatMul op -> BatchMatMulKernel.prepare(g, n, op);
    };
  }

  /** For kernels not written yet: a clear error naming the operator and dtype. */
  static Kernel unsupported(Graph g, Node n) {
    String what = n.op().opName() + " on " + g.input(n, 0).dtype().shortName();
    throw new io.kiln.KilnException("the interpreter does not support " + what + " yet");
  }

  /** An operator whose output stage a lowering made shift-only. */
  private static Kernel shift(Graph g, Node n, Requant.Shift s) {
    return switch (n.op()) {
      case Op.Conv2D op -> ShiftKernels.conv2d(g, n, op);
      case Op.DepthwiseConv2D op -> ShiftKernels.depthwise(g, n, op);
      case Op.FullyConnected op -> ShiftKernels.fullyConnected(g, n, op);
      case Op.Add op -> ShiftKernels.add(g, n, s);
      case Op.AveragePool2D op -> ShiftKernels.averagePool(g, n, op, s);
      default -> throw new IllegalStateException(n.op().opName() + " has no output stage");
    };
  }
}
