package io.kiln.ir;

/**
 * The sizes TFLM's gather.cc loops over, shared by the interpreter and the code generator:
 * batches (the shared batch_dims), outer slices before the axis, indices per batch, the axis
 * length and the inner slice length.
 */
public record GatherGeometry(int batches, int outer, int coords, int axisSize, int inner) {
  public static GatherGeometry of(Shape in, Shape indices, Op.Gather op) {
    int batches = 1;
    for (int i = 0; i < op.batchDims(); i++) {
      batches *= in.dim(i);
    }
    int outer = 1;
    for (int i = op.batchDims(); i < op.axis(); i++) {
      outer *= in.dim(i);
    }
    int coords = 1;
    for (int i = op.batchDims(); i < indices.rank(); i++) {
      coords *= indices.dim(i);
    }
    int inner = 1;
    for (int i = op.axis() + 1; i < in.rank(); i++) {
      inner *= in.dim(i);
    }
    return new GatherGeometry(batches, outer, coords, in.dim(op.axis()), inner);
  }
}
