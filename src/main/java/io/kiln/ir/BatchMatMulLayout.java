package io.kiln.ir;

/**
 * The operands of a BatchMatMul as TFLM walks them, shared by the interpreter and the code
 * generator: the broadcast batch count, each operand's matrix offset per batch, and the element
 * strides of row i / column j / depth k after adj_x and adj_y.
 */
public record BatchMatMulLayout(int batches, int[] lhsBatch, int[] rhsBatch, int rows, int cols,
    int depth, int lhsRowStride, int lhsDepthStride, int rhsDepthStride, int rhsColStride) {

  public static BatchMatMulLayout of(Shape lhs, Shape rhs, Shape out, Op.BatchMatMul op) {
    int rows = out.dim(-2);
    int cols = out.dim(-1);
    int depth = op.adjX() ? lhs.dim(-2) : lhs.dim(-1);
    int batchRank = out.rank() - 2;
    int batches = 1;
    for (int i = 0; i < batchRank; i++) {
      batches *= out.dim(i);
    }
    int[] lb = new int[batches];
    int[] rb = new int[batches];
    int[] idx = new int[batchRank];
    for (int b = 0; b < batches; b++) {
      lb[b] = matrixOffset(lhs, idx, batchRank);
      rb[b] = matrixOffset(rhs, idx, batchRank);
      for (int a = batchRank - 1; a >= 0; a--) {
        if (++idx[a] < out.dim(a)) {
          break;
        }
        idx[a] = 0;
      }
    }
    int lhsInner = lhs.dim(-1);
    int rhsInner = rhs.dim(-1);
    return new BatchMatMulLayout(batches, lb, rb, rows, cols, depth,
        op.adjX() ? 1 : lhsInner, op.adjX() ? lhsInner : 1,
        op.adjY() ? 1 : rhsInner, op.adjY() ? rhsInner : 1);
  }

  /** Element offset of the matrix at broadcast batch index {@code idx} of an operand. */
  private static int matrixOffset(Shape s, int[] idx, int batchRank) {
    int lead = s.rank() - 2;
    int offset = 0;
    int stride = s.dim(-1) * s.dim(-2);
    for (int a = lead - 1; a >= 0; a--) {
      int i = idx[a + batchRank - lead];
      offset += (s.dim(a) == 1 ? 0 : i) * stride;
      stride *= s.dim(a);
    }
    return offset;
  }
}
