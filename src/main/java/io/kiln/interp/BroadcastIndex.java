package io.kiln.interp;

import io.kiln.ir.Shape;

/**
 * Numpy broadcasting of two operands to an output shape, resolved at prepare time into one flat
 * source index per output element for each operand, so binary kernels are a single plain loop.
 */
record BroadcastIndex(int[] lhs, int[] rhs) {

  static BroadcastIndex of(Shape lhs, Shape rhs, Shape out) {
    return new BroadcastIndex(sourceIndex(lhs, out), sourceIndex(rhs, out));
  }

  /**
   * For each output element (row-major), the flat index of the element of {@code in} it reads:
   * shapes are aligned at the right and size-1 (or missing) dimensions repeat.
   */
  static int[] sourceIndex(Shape in, Shape out) {
    int rank = out.rank();
    int offset = rank - in.rank();
    if (offset < 0) {
      throw new IllegalArgumentException("cannot broadcast " + in + " to " + out);
    }
    int[] inStrides = in.strides();
    // Stride of each output axis in the input; 0 where the input repeats along that axis.
    int[] stride = new int[rank];
    for (int a = 0; a < rank; a++) {
      int ia = a - offset;
      if (ia < 0) {
        continue;
      }
      int d = in.dim(ia);
      if (d == out.dim(a)) {
        stride[a] = inStrides[ia];
      } else if (d != 1) {
        throw new IllegalArgumentException("cannot broadcast " + in + " to " + out);
      }
    }
    int n = out.elements();
    int[] index = new int[n];
    int[] counter = new int[rank];
    int src = 0;
    for (int i = 0; i < n; i++) {
      index[i] = src;
      // Odometer increment over the output dims, keeping the source offset in step.
      for (int a = rank - 1; a >= 0; a--) {
        counter[a]++;
        src += stride[a];
        if (counter[a] < out.dim(a)) {
          break;
        }
        src -= stride[a] * counter[a];
        counter[a] = 0;
      }
    }
    return index;
  }
}
