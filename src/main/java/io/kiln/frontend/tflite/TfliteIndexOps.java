package io.kiln.frontend.tflite;

import static org.tensorflow.lite.schema.BuiltinOperator.BATCH_MATMUL;
import static org.tensorflow.lite.schema.BuiltinOperator.GATHER;
import static org.tensorflow.lite.schema.BuiltinOperator.RESIZE_BILINEAR;
import static org.tensorflow.lite.schema.BuiltinOperator.RESIZE_NEAREST_NEIGHBOR;
import static org.tensorflow.lite.schema.BuiltinOperator.SHAPE;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.Map;
import org.tensorflow.lite.schema.BatchMatMulOptions;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.GatherOptions;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.ResizeBilinearOptions;
import org.tensorflow.lite.schema.ResizeNearestNeighborOptions;

/**
 * Maps TFLite's SHAPE, GATHER, RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR and BATCH_MATMUL onto the
 * IR, checking what TFLM's Prepare functions check (constant resize sizes, the gather axis and
 * batch_dims, no hybrid batch matmul).
 */
final class TfliteIndexOps {
  private TfliteIndexOps() {}

  /** Input arity {min, max} of each operator mapped here. */
  static final Map<Integer, int[]> ARITY = Map.of(
      SHAPE, new int[] {1, 1}, GATHER, new int[] {2, 2}, RESIZE_NEAREST_NEIGHBOR,
      new int[] {2, 2}, RESIZE_BILINEAR, new int[] {2, 2}, BATCH_MATMUL, new int[] {2, 2});

  static TfliteOperators.Mapped map(int code, Operator op, int[] in, int out,
      TfliteOperators.Tensors t, String where) {
    TensorType outType = t.type(out);
    return switch (code) {
      case SHAPE -> new TfliteOperators.Mapped(new Op.ShapeOf(), new int[] {in[0]});
      case GATHER -> {
        GatherOptions o = (GatherOptions) options(op, BuiltinOptions.GatherOptions,
            new GatherOptions(), where);
        int rank = t.type(in[0]).shape().rank();
        int idxRank = t.type(in[1]).shape().rank();
        int axis = o == null ? 0 : o.axis();
        int batchDims = o == null ? 0 : o.batchDims();
        axis = axis < 0 ? axis + rank : axis;
        batchDims = batchDims < 0 ? batchDims + idxRank : batchDims;
        if (axis < 0 || axis >= rank || batchDims < 0 || batchDims > axis
            || batchDims > idxRank) {
          throw new KilnException(where + ": axis " + axis + " and batch_dims " + batchDims
              + " do not fit input rank " + rank + " and indices rank " + idxRank);
        }
        yield new TfliteOperators.Mapped(new Op.Gather(axis, batchDims), new int[] {in[0], in[1]});
      }
      case RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR -> {
        boolean nearest = code == RESIZE_NEAREST_NEIGHBOR;
        boolean align;
        boolean half;
        if (nearest) {
          var o = (ResizeNearestNeighborOptions) options(op,
              BuiltinOptions.ResizeNearestNeighborOptions, new ResizeNearestNeighborOptions(),
              where);
          align = o != null && o.alignCorners();
          half = o != null && o.halfPixelCenters();
        } else {
          var o = (ResizeBilinearOptions) options(op, BuiltinOptions.ResizeBilinearOptions,
              new ResizeBilinearOptions(), where);
          align = o != null && o.alignCorners();
          half = o != null && o.halfPixelCenters();
        }
        Shape s = outType.shape();
        int[] size = t.constInts(in[1], "size");
        if (t.type(in[0]).shape().rank() != 4 || size.length != 2 || s.rank() != 4
            || size[0] != s.dim(1) || size[1] != s.dim(2)) {
          throw new KilnException(where + ": resizes " + t.type(in[0]).shape() + " to size "
              + java.util.Arrays.toString(size) + " but the output is " + s);
        }
        yield new TfliteOperators.Mapped(new Op.Resize(nearest ? Op.ResizeMode.NEAREST
            : Op.ResizeMode.BILINEAR, size[0], size[1], align, half), new int[] {in[0]});
      }
      case BATCH_MATMUL -> {
        var o = (BatchMatMulOptions) options(op, BuiltinOptions.BatchMatMulOptions,
            new BatchMatMulOptions(), where);
        DType a = t.type(in[0]).dtype();
        DType b = t.type(in[1]).dtype();
        if (a != b) {
          throw new KilnException(where + ": hybrid BATCH_MATMUL (" + a.shortName() + " x "
              + b.shortName() + ") is not supported; TFLM does not run it either");
        }
        yield new TfliteOperators.Mapped(new Op.BatchMatMul(o != null && o.adjX(),
            o != null && o.adjY()), new int[] {in[0], in[1]});
      }
      default -> throw new IllegalStateException("unmapped operator " + code);
    };
  }

  /** The options table, or null when the operator has none (every field at its default). */
  private static com.google.flatbuffers.Table options(Operator op, byte type,
      com.google.flatbuffers.Table table, String where) {
    byte actual = op.builtinOptionsType();
    if (actual == BuiltinOptions.NONE) {
      return null;
    }
    if (actual != type) {
      throw new KilnException(where + " has options of type "
          + TfliteOperators.optionsName(actual) + ", expected "
          + TfliteOperators.optionsName(type));
    }
    return op.builtinOptions(table);
  }
}
