package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** TODO: kernels not written yet. */
final class SoftmaxKernel {
  private SoftmaxKernel() {}

  static Kernel prepare(Graph g, Node n, Op.Softmax op) {
    return Kernels.unsupported(g, n);
  }
}
