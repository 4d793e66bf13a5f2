package io.kiln.interp;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** TODO: kernels not written yet. */
final class QuantizeKernels {
  private QuantizeKernels() {}

  static Kernel quantize(Graph g, Node n, Op.Quantize op) {
    return Kernels.unsupported(g, n);
  }

  static Kernel dequantize(Graph g, Node n, Op.Dequantize op) {
    return Kernels.unsupported(g, n);
  }
}
