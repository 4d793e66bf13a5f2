package io.kiln.frontend.onnx;

import io.kiln.ir.Shape;

/**
 * Axis permutations between Kiln's layout and ONNX's: output dimension i is input dimension
 * {@code perm[i]}, for shapes and for row-major element data.
 */
final class OnnxLayout {
  private OnnxLayout() {}

  static int[] permute(int[] dims, int[] perm) {
    int[] out = new int[perm.length];
    for (int i = 0; i < perm.length; i++) {
      out[i] = dims[perm[i]];
    }
    return out;
  }

  static int[] inverse(int[] perm) {
    int[] inv = new int[perm.length];
    for (int i = 0; i < perm.length; i++) {
      inv[perm[i]] = i;
    }
    return inv;
  }

  /** Row-major element data of shape {@code dims} transposed by {@code perm}. */
  static byte[] permuteData(byte[] data, int elemBytes, int[] dims, int[] perm) {
    int[] outDims = permute(dims, perm);
    int[] inStrides = Shape.of(dims).strides();
    int rank = dims.length;
    int n = Shape.of(dims).elements();
    byte[] out = new byte[data.length];
    int[] idx = new int[rank];
    for (int o = 0; o < n; o++) {
      int src = 0;
      for (int i = 0; i < rank; i++) {
        src += idx[i] * inStrides[perm[i]];
      }
      System.arraycopy(data, src * elemBytes, out, o * elemBytes, elemBytes);
      for (int i = rank - 1; i >= 0 && ++idx[i] == outDims[i]; i--) {
        idx[i] = 0;
      }
    }
    return out;
  }
}
