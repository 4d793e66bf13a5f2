package io.kiln.frontend.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import io.kiln.KilnException;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Decodes ONNX {@code TensorProto}s (initializers, Constant values, test data) into Kiln's element
 * types, shapes and little-endian constant bytes, from either {@code raw_data} or the typed repeated
 * fields.
 */
public final class OnnxTensors {
  private OnnxTensors() {}

  /** A decoded tensor: element type, shape and raw little-endian bytes. */
  public record Decoded(DType dtype, Shape shape, ConstData data) {
    public Tensor toTensor() {
      return Tensor.fromBytes(dtype, shape, data.bytes());
    }
  }

  /** ONNX {@code TensorProto.DataType} numbers that Kiln has an element type for. */
  public static DType dtype(int onnxType, String what) {
    return switch (onnxType) {
      case 1 -> DType.FLOAT32;
      case 2 -> DType.UINT8;
      case 3 -> DType.INT8;
      case 5 -> DType.INT16;
      case 6 -> DType.INT32;
      case 7 -> DType.INT64;
      case 9 -> DType.BOOL;
      default -> throw new KilnException(what + " has element type " + typeName(onnxType)
          + ", which Kiln does not support (float32, uint8, int8, int16, int32, int64, bool)");
    };
  }

  /** The ONNX name of a data type number, for messages. */
  static String typeName(int onnxType) {
    String[] names = {"undefined", "float32", "uint8", "int8", "uint16", "int16", "int32",
        "int64", "string", "bool", "float16", "float64", "uint32", "uint64", "complex64",
        "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz", "float8e5m2",
        "float8e5m2fnuz", "uint4", "int4", "float4e2m1", "float8e8m0", "uint2", "int2"};
    return onnxType >= 0 && onnxType < names.length ? names[onnxType] : "type " + onnxType;
  }

  public static Decoded decode(TensorProto t) {
    String what = "tensor '" + t.getName() + "'";
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL
        || t.getExternalDataCount() > 0) {
      throw new KilnException(what + " keeps its data in an external file, which Kiln does not"
          + " read");
    }
    DType dtype = dtype(t.getDataType(), what);
    int[] dims = new int[t.getDimsCount()];
    long count = 1;
    for (int i = 0; i < dims.length; i++) {
      long d = t.getDims(i);
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw new KilnException(what + " has invalid dimension " + d);
      }
      dims[i] = (int) d;
      count *= d;
      if (count > Integer.MAX_VALUE / 8) {
        throw new KilnException(what + " is too large");
      }
    }
    Shape shape = Shape.of(dims);
    int n = (int) count;
    byte[] bytes;
    if (t.hasRawData()) {
      bytes = t.getRawData().toByteArray();
      if (bytes.length != (long) n * dtype.bytes()) {
        throw new KilnException(what + " has " + bytes.length + " bytes of raw data, its type "
            + dtype.shortName() + shape + " needs " + (long) n * dtype.bytes());
      }
    } else {
      bytes = fromTypedFields(t, dtype, n, what);
    }
    return new Decoded(dtype, shape, ConstData.ofBytes(bytes));
  }

  /** The typed repeated fields: float_data, int32_data (all types up to 32 bits), int64_data. */
  private static byte[] fromTypedFields(TensorProto t, DType dtype, int n, String what) {
    ByteBuffer b = ByteBuffer.allocate(n * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    List<? extends Number> src = switch (dtype) {
      case FLOAT32 -> t.getFloatDataList();
      case INT64, UINT64 -> t.getInt64DataList();
      default -> t.getInt32DataList();
    };
    if (src.size() != n) {
      throw new KilnException(what + " holds " + src.size() + " values, its shape needs " + n);
    }
    for (Number v : src) {
      switch (dtype) {
        case FLOAT32 -> b.putFloat(v.floatValue());
        case INT64 -> b.putLong(v.longValue());
        case INT32, UINT32 -> b.putInt(v.intValue());
        case UINT64 -> b.putLong(v.longValue());
        case INT16 -> b.putShort((short) v.intValue());
        case INT8, UINT8, BOOL -> b.put((byte) v.intValue());
      }
    }
    return b.array();
  }
}
