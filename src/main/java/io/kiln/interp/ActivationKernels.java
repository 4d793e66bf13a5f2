package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** TODO: kernels not written yet. */
final class ActivationKernels {
  private ActivationKernels() {}

  static Kernel logistic(Graph g, Node n, Op.Logistic op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel tanh(Graph g, Node n, Op.Tanh op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel leakyRelu(Graph g, Node n, Op.LeakyRelu op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel relu(Graph g, Node n, Op.Relu op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel relu6(Graph g, Node n, Op.Relu6 op) {
    return Kernels.unsupported(g, n);
  }
}
