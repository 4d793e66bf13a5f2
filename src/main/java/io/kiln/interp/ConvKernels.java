package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** TODO: kernels not written yet. */
final class ConvKernels {
  private ConvKernels() {}

  static Kernel conv2d(Graph g, Node n, Op.Conv2D op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel depthwise(Graph g, Node n, Op.DepthwiseConv2D op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel transposeConv(Graph g, Node n, Op.TransposeConv op) {
    return Kernels.unsupported(g, n);
  }
}
