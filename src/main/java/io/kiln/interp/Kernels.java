package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** Dispatches each operator to the small kernel family that prepares and executes it. */
final class Kernels {
  private Kernels() {}

  static Kernel prepare(Graph g, Node n) {
    return switch (n.op()) {
      case Op.Conv2D op -> ConvKernels.conv2d(g, n, op);
      case Op.DepthwiseConv2D op -> ConvKernels.depthwise(g, n, op);
      case Op.TransposeConv op -> ConvKernels.transposeConv(g, n, op);
      case Op.FullyConnected op -> FullyConnectedKernel.prepare(g, n, op);
      case Op.AveragePool2D op -> PoolKernels.average(g, n, op);
      case Op.MaxPool2D op -> PoolKernels.max(g, n, op);
      case Op.Mean op -> MeanKernel.prepare(g, n, op);
      case Op.Add op -> ElementwiseKernels.add(g, n, op);
      case Op.Sub op -> ElementwiseKernels.sub(g, n, op);
      case Op.Mul op -> ElementwiseKernels.mul(g, n, op);
      case Op.Quantize op -> QuantizeKernels.quantize(g, n, op);
      case Op.Dequantize op -> QuantizeKernels.dequantize(g, n, op);
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
    };
  }

  /** For kernels not written yet: a clear error naming the operator and dtype. */
  static Kernel unsupported(Graph g, Node n) {
    String what = n.op().opName() + " on " + g.input(n, 0).dtype().shortName();
    throw new io.kiln.KilnException("the interpreter does not support " + what + " yet");
  }
}
