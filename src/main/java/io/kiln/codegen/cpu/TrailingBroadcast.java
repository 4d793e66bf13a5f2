package io.kiln.codegen.cpu;

import io.kiln.ir.Shape;

/**
 * The broadcasts the CPU kernels index without a table: an operand equal to the output, a single
 * element, or (without its leading 1s) the output's trailing dimensions, such as a per-channel
 * vector over NHWC — the cases element-wise TinyML layers use.
 */
final class TrailingBroadcast {
  private TrailingBroadcast() {}

  /** The C index of {@code operand}'s element for output element {@code i}, or null. */
  static String index(Shape operand, Shape out, String i) {
    int n = operand.elements();
    if (operand.equals(out) || (n == out.elements() && trailing(operand, out))) {
      return i;
    }
    if (n == 1) {
      return "0";
    }
    return trailing(operand, out) ? i + " % " + n : null;
  }

  private static boolean trailing(Shape operand, Shape out) {
    int skip = 0;
    while (skip < operand.rank() && operand.dim(skip) == 1) {
      skip++;
    }
    int k = operand.rank() - skip;
    if (k > out.rank()) {
      return false;
    }
    for (int d = 0; d < k; d++) {
      if (operand.dim(skip + d) != out.dim(out.rank() - k + d)) {
        return false;
      }
    }
    return true;
  }
}
