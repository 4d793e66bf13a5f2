package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** TODO: kernels not written yet. */
final class ElementwiseKernels {
  private ElementwiseKernels() {}

  static Kernel add(Graph g, Node n, Op.Add op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel sub(Graph g, Node n, Op.Sub op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel mul(Graph g, Node n, Op.Mul op) {
    return Kernels.unsupported(g, n);
  }
}
