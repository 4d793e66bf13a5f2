package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** TODO: kernels not written yet. */
final class FullyConnectedKernel {
  private FullyConnectedKernel() {}

  static Kernel prepare(Graph g, Node n, Op.FullyConnected op) {
    return Kernels.unsupported(g, n);
  }
}
