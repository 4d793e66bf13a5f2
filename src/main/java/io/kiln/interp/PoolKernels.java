package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** TODO: kernels not written yet. */
final class PoolKernels {
  private PoolKernels() {}

  static Kernel average(Graph g, Node n, Op.AveragePool2D op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel max(Graph g, Node n, Op.MaxPool2D op) {
    return Kernels.unsupported(g, n);
  }
}
