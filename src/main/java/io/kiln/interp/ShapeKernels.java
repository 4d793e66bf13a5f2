package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** TODO: kernels not written yet. */
final class ShapeKernels {
  private ShapeKernels() {}

  static Kernel reshape(Graph g, Node n, Op.Reshape op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel pad(Graph g, Node n, Op.Pad op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel stridedSlice(Graph g, Node n, Op.StridedSlice op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel concatenation(Graph g, Node n, Op.Concatenation op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel transpose(Graph g, Node n, Op.Transpose op) {
    return Kernels.unsupported(g, n);
  }
}
